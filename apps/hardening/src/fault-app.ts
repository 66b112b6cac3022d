/**
 * The app the fault suites load: Hono + `session()` from @tessera/session-hono over the
 * store under test, in this process, on 127.0.0.1. Routes are the minimum a load needs:
 * log in as a named user, read, increment a counter, log out. The process-level guard
 * records any uncaught exception or unhandled rejection, which the suites assert is empty
 * (a crash of the app would otherwise be a crash of the test runner).
 */
import { serve } from '@hono/node-server';
import { isSessionError, type SessionStore } from '@tessera/session-core';
import { type SessionEnv, session } from '@tessera/session-hono';
import { Hono } from 'hono';

export interface FaultApp {
  readonly url: string;
  /** Uncaught exceptions / unhandled rejections seen while the app ran. */
  readonly crashes: unknown[];
  close(): Promise<void>;
}

export interface FaultAppOptions {
  readonly store: SessionStore;
  /** The manager's bound on one store call. @default 1000 */
  readonly storeTimeoutMs?: number;
  /** @default 1000 */
  readonly maxSessionsPerUser?: number;
}

export async function startFaultApp(options: FaultAppOptions): Promise<FaultApp> {
  const app = new Hono<SessionEnv>();
  app.use(
    session({
      store: options.store,
      storeTimeoutMs: options.storeTimeoutMs ?? 1000,
      maxSessionsPerUser: options.maxSessionsPerUser ?? 1000,
      // The suites count on every request of a device reaching the store: touch every time.
      touchIntervalMs: 0,
      // The fault suites drive logins and counters without a browser's CSRF dance; CSRF is
      // the adversarial suite's subject, on every adapter.
      csrf: { enabled: false },
      // Outages are the point here: their logging would only fill the test output.
      logger: false,
    }),
  );
  // Hono's default handler logs every thrown error; a store outage is expected here (the
  // middleware turns it into a 503), anything else is logged and stays a 500.
  app.onError((error, c) => {
    if (!isSessionError(error)) console.error(error);
    return c.text('internal error', 500);
  });
  app.get('/state', (c) => {
    const s = c.get('session');
    return c.json({
      authenticated: s.authenticated,
      userId: s.userId,
      counter: s.get('counter') ?? 0,
      csrf: s.csrfToken,
    });
  });
  app.post('/login', async (c) => {
    const { userId } = (await c.req.json()) as { userId: string };
    const s = c.get('session');
    await s.login(userId);
    return c.json({ userId, counter: s.get('counter') ?? 0 });
  });
  app.post('/counter', (c) => {
    const s = c.get('session');
    const next = ((s.get('counter') as number | undefined) ?? 0) + 1;
    s.set('counter', next);
    return c.json({ counter: next, authenticated: s.authenticated });
  });
  app.post('/logout', async (c) => {
    await c.get('session').logout();
    return c.body(null, 204);
  });

  const crashes: unknown[] = [];
  const guard = (error: unknown) => crashes.push(error);
  process.on('uncaughtException', guard);
  process.on('unhandledRejection', guard);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    crashes,
    close: async () => {
      process.off('uncaughtException', guard);
      process.off('unhandledRejection', guard);
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
