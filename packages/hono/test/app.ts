/** The contract suite's TEST APP, built with the Hono adapter (routes: see adapter-contract.ts). */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { SessionManager, TrustProxy } from '@tessera/session-core';
import type { TestServer } from '@tessera/session-testing';
import { Hono } from 'hono';
import type { GetConnInfo } from 'hono/conninfo';
import { requireAuth, type SessionEnv, session, skipCsrf } from '../src/index.js';

export function buildApp(
  manager: SessionManager,
  adapter: { trustProxy?: TrustProxy; getConnInfo?: GetConnInfo } = { getConnInfo },
): Hono<SessionEnv> {
  const app = new Hono<SessionEnv>();
  // Errors still reach onError first; the adapter then answers SessionErrors itself.
  app.onError((_error, c) => c.json({ error: 'internal' }, 500));
  app.use(session({ manager, ...adapter }));
  app.get('/state', (c) => {
    const s = c.get('session');
    return c.json({
      authenticated: s.authenticated,
      userId: s.userId,
      handle: s.handle,
      csrfToken: s.csrfToken,
      data: s.toJSON(),
    });
  });
  app.post('/set', async (c) => {
    const { key, value } = await c.req.json<{ key: string; value: unknown }>();
    c.get('session').set(key, value);
    return c.body(null, 204);
  });
  app.post('/login', async (c) => {
    const { userId } = await c.req.json<{ userId: string }>();
    await c.get('session').login(userId);
    return c.json({ userId });
  });
  app.post('/login-redirect', async (c) => {
    const { userId } = await c.req.json<{ userId: string }>();
    await c.get('session').login(userId);
    return c.redirect('/state', 303);
  });
  app.post('/logout', async (c) => {
    await c.get('session').logout();
    return c.body(null, 204);
  });
  app.get('/protected', requireAuth(), (c) => c.json({ userId: c.get('session').userId }));
  app.get('/recent', requireAuth({ maxAuthAgeMs: 60_000 }), (c) =>
    c.json({ userId: c.get('session').userId }),
  );
  app.get('/devices', requireAuth(), async (c) => c.json(await c.get('session').listSessions()));
  app.post('/form', async (c) => {
    const note = (await c.req.parseBody()).note;
    return c.json({ note: typeof note === 'string' ? note : null });
  });
  app.post('/hook', skipCsrf(), (c) => {
    c.get('session').set('hook', true);
    return c.body(null, 204);
  });
  return app;
}

export function listen(app: Hono<SessionEnv>): Promise<TestServer> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
