// Hono wiring of the demo: session() (which enforces CSRF itself) from @tessera/session-hono, then the shared handlers.
import { serve } from '@hono/node-server';
import { isSessionError } from '@tessera/session-core';
import { loginAttempt, loginThrottle, type SessionEnv, session } from '@tessera/session-hono';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status';
import * as api from '../api.js';
import type { StartApp } from './types.js';

type C = Context<SessionEnv<api.DemoData>>;

const reply = (c: C, r: api.Reply) => {
  const status = r.status as ContentfulStatusCode;
  c.header('cache-control', api.CACHE_CONTROL);
  if (r.html !== undefined) return c.html(r.html, status);
  return r.json !== undefined ? c.json(r.json, status) : c.body(null, r.status as StatusCode);
};

/** Malformed JSON reads as no body (the handlers answer 400/401), as in the other wirings. */
const body = (c: C) => c.req.json<unknown>().catch(() => null);

export const start: StartApp = async (manager, port, throttle) => {
  const app = new Hono<SessionEnv<api.DemoData>>();
  // Hono hands a thrown error to onError before session() sees it; session() then answers a
  // SessionError (503 while the store is down, 409 at the cap) itself. Hono's default handler
  // would print each of those expected errors with its stack: log only the unexpected ones.
  app.onError((error, c) => {
    if (!isSessionError(error)) console.error(error);
    return c.json({ error: 'internal' }, 500);
  });
  app.use(session({ manager }));
  app.use(bodyLimit({ maxSize: api.MAX_BODY_BYTES, onError: (c) => c.json(api.BODY_TOO_LARGE.json, 413) }));

  app.get('/', async (c) => reply(c, await api.home(c.get('session'))));
  app.get('/api/session', (c) => reply(c, api.getSession(c.get('session'))));
  // The guard's own answers (429, 503) carry no-store too.
  app.use('/api/login', async (c, next) => {
    await next();
    c.res.headers.set('cache-control', api.CACHE_CONTROL);
  });
  const guard = loginThrottle<api.DemoData>(throttle, {
    account: async (c) => api.usernameOf(await body(c)),
  });
  app.post('/api/login', guard, async (c) =>
    reply(c, await api.login(c.get('session'), await body(c), loginAttempt(c))),
  );
  app.post('/api/logout', async (c) => reply(c, await api.logout(c.get('session'))));
  app.post('/api/counter', (c) => reply(c, api.counter(c.get('session'))));
  app.put('/api/notes/:key', async (c) =>
    reply(c, api.putNote(c.get('session'), c.req.param('key'), await body(c))),
  );
  app.get('/api/notes', (c) => reply(c, api.getNotes(c.get('session'))));
  app.get('/api/protected', (c) => reply(c, api.getProtected(c.get('session'))));
  app.get('/api/sessions', async (c) => reply(c, await api.listSessions(c.get('session'))));
  app.post('/api/sessions/revoke-others', async (c) => reply(c, await api.revokeOthers(c.get('session'))));
  app.delete('/api/sessions/:handle', async (c) =>
    reply(c, await api.revokeSession(c.get('session'), c.req.param('handle'))),
  );

  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) =>
      resolve({
        url: `http://localhost:${info.port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    );
  });
};
