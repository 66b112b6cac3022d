// Express wiring of the demo: session() (which enforces CSRF itself) from @tessera/session-express, then the shared handlers.
import {
  loginAttempt,
  loginThrottle,
  responseSent,
  session,
  sessionErrorHandler,
} from '@tessera/session-express';
import express, { type ErrorRequestHandler, type RequestHandler, type Response } from 'express';
import * as api from '../api.js';
import { jsonBody } from './json-body.js';
import { listenNode } from './listen.js';
import { rawBadSegments } from './raw-segments.js';
import type { StartApp } from './types.js';

/** Handlers return this promise: Express 5 hands a rejection (a SessionError...) to the error middleware. */
async function send(res: Response, reply: api.Reply | Promise<api.Reply>): Promise<void> {
  const r = await reply;
  res.set('cache-control', api.CACHE_CONTROL);
  if (r.html !== undefined) res.status(r.status).type('html').send(r.html);
  else if (r.json !== undefined) res.status(r.status).json(r.json);
  else res.status(r.status).end();
}

/** Before a guard that may answer itself (429, 503): its answer depends on the session too. */
const noStore: RequestHandler = (_req, res, next) => {
  res.set('cache-control', api.CACHE_CONTROL);
  next();
};

/** Anything else a handler throws: JSON and a log line, not Express's HTML error page. */
const internalError: ErrorRequestHandler = (error, _req, res, next) => {
  if (responseSent(res)) return next(error);
  console.error(error);
  res.status(500).json({ error: 'internal' });
};

export const start: StartApp = async (manager, port, throttle) => {
  const app = express();
  app.disable('x-powered-by');
  app.use(rawBadSegments);
  app.use(session({ manager }));
  app.use(jsonBody);

  app.get('/', (req, res) => send(res, api.home(req.session)));
  app.get('/api/session', (req, res) => send(res, api.getSession(req.session)));
  const guard = loginThrottle(throttle, { account: (req) => api.usernameOf(req.body) });
  app.post('/api/login', noStore, guard, (req, res) =>
    send(res, api.login(req.session, req.body, loginAttempt(req))),
  );
  app.post('/api/logout', (req, res) => send(res, api.logout(req.session)));
  app.post('/api/counter', (req, res) => send(res, api.counter(req.session)));
  app.put('/api/notes/:key', (req, res) =>
    send(res, api.putNote(req.session, String(req.params.key), req.body)),
  );
  app.get('/api/notes', (req, res) => send(res, api.getNotes(req.session)));
  app.get('/api/protected', (req, res) => send(res, api.getProtected(req.session)));
  app.get('/api/sessions', (req, res) => send(res, api.listSessions(req.session)));
  app.post('/api/sessions/revoke-others', (req, res) => send(res, api.revokeOthers(req.session)));
  app.delete('/api/sessions/:handle', (req, res) =>
    send(res, api.revokeSession(req.session, String(req.params.handle))),
  );
  app.use(sessionErrorHandler());
  app.use(internalError);

  return listenNode(app, port);
};
