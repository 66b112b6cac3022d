/** The contract suite's TEST APP, built with the Fastify plugin (routes: see adapter-contract.ts). */
import type { SessionManager, TrustProxy } from '@tessera/session-core';
import type { TestServer } from '@tessera/session-testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { requireAuth, tesseraSession } from '../src/index.js';

export async function buildApp(
  manager: SessionManager,
  extra?: (app: FastifyInstance) => void,
  trustProxy: TrustProxy = false,
): Promise<FastifyInstance> {
  // 100 KiB, the body limit of Express's parsers (Fastify's default is 1 MiB): a form's token
  // is read from the body Fastify parsed, so this limit is what bounds it.
  const app = Fastify({ bodyLimit: 100 * 1024 });
  // Fastify parses JSON itself; forms the app's way (what @fastify/formbody does).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  await app.register(tesseraSession, { manager, trustProxy });
  app.get('/state', async (request) => {
    const s = request.session;
    return {
      authenticated: s.authenticated,
      userId: s.userId,
      handle: s.handle,
      csrfToken: s.csrfToken,
      data: s.toJSON(),
    };
  });
  app.post('/set', async (request, reply) => {
    const { key, value } = request.body as { key: string; value: unknown };
    request.session.set(key, value);
    return reply.code(204).send();
  });
  app.post('/login', async (request) => {
    const { userId } = request.body as { userId: string };
    await request.session.login(userId);
    return { userId };
  });
  app.post('/login-redirect', async (request, reply) => {
    await request.session.login((request.body as { userId: string }).userId);
    return reply.redirect('/state', 303);
  });
  app.post('/logout', async (request, reply) => {
    await request.session.logout();
    return reply.code(204).send();
  });
  app.get('/protected', { preHandler: requireAuth() }, async (request) => ({
    userId: request.session.userId,
  }));
  app.get('/recent', { preHandler: requireAuth({ maxAuthAgeMs: 60_000 }) }, async (request) => ({
    userId: request.session.userId,
  }));
  app.get('/devices', { preHandler: requireAuth() }, async (request) => request.session.listSessions());
  app.post('/form', async (request) => {
    const note = (request.body as Record<string, unknown> | undefined)?.note;
    return { note: typeof note === 'string' ? note : null };
  });
  app.post('/hook', { config: { tessera: { skipCsrf: true } } }, async (request, reply) => {
    request.session.set('hook', true);
    return reply.code(204).send();
  });
  extra?.(app);
  return app;
}

export async function listen(app: FastifyInstance): Promise<TestServer> {
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    close: async () => {
      app.server.closeAllConnections();
      await app.close();
    },
  };
}

export const makeApp = async (manager: SessionManager) => listen(await buildApp(manager));
