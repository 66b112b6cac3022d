// Fastify wiring of the demo: the tesseraSession plugin (which enforces CSRF itself) from @tessera/session-fastify, then the shared handlers.
import { loginAttempt, loginThrottle, tesseraSession } from '@tessera/session-fastify';
import Fastify, { type FastifyError, type FastifyReply } from 'fastify';
import * as api from '../api.js';
import { bodyRefusal, FASTIFY_OPTIONS, parseBodies, sendReply } from './fastify-parts.js';
import type { StartApp } from './types.js';

async function send(reply: FastifyReply, pending: api.Reply | Promise<api.Reply>): Promise<FastifyReply> {
  return sendReply(reply, await pending);
}

export const start: StartApp = async (manager, port, throttle) => {
  const app = Fastify(FASTIFY_OPTIONS);
  parseBodies(app);
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const refused = bodyRefusal(error);
    if (refused) return reply.code(refused.status).send(refused.json);
    // Anything else a handler throws: JSON and a log line, not a stack.
    console.error(error);
    return reply.code(500).send({ error: 'internal' });
  });
  await app.register(tesseraSession, { manager });

  app.get('/', (req, reply) => send(reply, api.home(req.session)));
  app.get('/api/session', (req, reply) => send(reply, api.getSession(req.session)));
  const guard = loginThrottle(throttle, { account: (req) => api.usernameOf(req.body) });
  const noStore = async (_req: unknown, reply: FastifyReply) => {
    // Before the guard, which may answer itself (429, 503): that answer depends on the session too.
    reply.header('cache-control', api.CACHE_CONTROL);
  };
  app.post('/api/login', { preHandler: [noStore, guard] }, (req, reply) =>
    send(reply, api.login(req.session, req.body, loginAttempt(req))),
  );
  app.post('/api/logout', (req, reply) => send(reply, api.logout(req.session)));
  app.post('/api/counter', (req, reply) => send(reply, api.counter(req.session)));
  app.put<{ Params: { key: string } }>('/api/notes/:key', (req, reply) =>
    send(reply, api.putNote(req.session, req.params.key, req.body)),
  );
  app.get('/api/notes', (req, reply) => send(reply, api.getNotes(req.session)));
  app.get('/api/protected', (req, reply) => send(reply, api.getProtected(req.session)));
  app.get('/api/sessions', (req, reply) => send(reply, api.listSessions(req.session)));
  app.post('/api/sessions/revoke-others', (req, reply) => send(reply, api.revokeOthers(req.session)));
  app.delete<{ Params: { handle: string } }>('/api/sessions/:handle', (req, reply) =>
    send(reply, api.revokeSession(req.session, req.params.handle)),
  );

  // localhost, as a browser should use it: Chromium keeps `Secure` cookies there over plain HTTP.
  await app.listen({ port, host: '127.0.0.1' });
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://localhost:${bound}`,
    close: async () => {
      app.server.closeAllConnections();
      await app.close();
    },
  };
};
