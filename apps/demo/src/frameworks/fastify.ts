// Fastify wiring of the demo: the tesseraSession plugin (which enforces CSRF itself) from @tessera/session-fastify, then the shared handlers.
import { tesseraSession } from '@tessera/session-fastify';
import Fastify, { type FastifyError, type FastifyReply } from 'fastify';
import * as api from '../api.js';
import { rawBadSegments } from './raw-segments.js';
import type { StartApp } from './types.js';

async function send(reply: FastifyReply, pending: api.Reply | Promise<api.Reply>): Promise<FastifyReply> {
  const r = await pending;
  reply.header('cache-control', api.CACHE_CONTROL).code(r.status);
  if (r.html !== undefined) return reply.type('text/html; charset=utf-8').send(r.html);
  return r.json !== undefined ? reply.send(r.json) : reply.send();
}

export const start: StartApp = async (manager, port) => {
  const app = Fastify({
    // Over the limit is 413 on every route that takes a body, whether the route reads it or not.
    bodyLimit: api.MAX_BODY_BYTES,
    // A path segment that does not decode is read as its raw text, as in the other wirings.
    rewriteUrl: (req) => {
      rawBadSegments(req, null, () => {});
      return req.url ?? '/';
    },
  });
  // Malformed JSON reads as no body (the handlers then answer 400 or 401), as in the other wirings.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    // Fastify's default parser answers through its callback; its typed promise result is unused.
    void parseJson(req, body as string, (error, value) => done(null, error ? null : value));
  });
  // Any other body is not the demo's: none, rather than Fastify's 415.
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, null));
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send(api.BODY_TOO_LARGE.json);
    const status = error.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500)
      return reply.code(status).send({ error: 'bad_body' });
    // Anything else a handler throws: JSON and a log line, not a stack.
    console.error(error);
    return reply.code(500).send({ error: 'internal' });
  });
  await app.register(tesseraSession, { manager });

  app.get('/', (req, reply) => send(reply, api.home(req.session)));
  app.get('/api/session', (req, reply) => send(reply, api.getSession(req.session)));
  app.post('/api/login', (req, reply) => send(reply, api.login(req.session, req.body)));
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
