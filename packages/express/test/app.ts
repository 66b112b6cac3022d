/** The contract suite's TEST APP, built with the Express adapter (routes: see adapter-contract.ts). */
import type { SessionManager, SessionStore, TrustProxy } from '@tessera/session-core';
import { listenNode, type TestServer } from '@tessera/session-testing';
import express, { type Express } from 'express';
import { requireAuth, session, sessionErrorHandler, skipCsrf } from '../src/index.js';

export function buildApp(
  manager: SessionManager,
  extra?: (app: Express) => void,
  trustProxy: TrustProxy = false,
): Express {
  const app = express();
  // skipCsrf() before session(): Express routes after the session middleware has run.
  app.use('/hook', skipCsrf());
  app.use(session({ manager, trustProxy }));
  // Body parsers after session(): the CSRF form check must leave the body for them.
  app.use(express.json());
  app.use(express.urlencoded({ extended: false }));
  app.get('/state', (req, res) => {
    const s = req.session;
    res.json({
      authenticated: s.authenticated,
      userId: s.userId,
      handle: s.handle,
      csrfToken: s.csrfToken,
      data: s.toJSON(),
    });
  });
  app.post('/set', (req, res) => {
    const { key, value } = req.body as { key: string; value: unknown };
    req.session.set(key, value);
    res.status(204).end();
  });
  app.post('/login', async (req, res) => {
    const { userId } = req.body as { userId: string };
    await req.session.login(userId);
    res.json({ userId });
  });
  app.post('/login-redirect', async (req, res) => {
    await req.session.login((req.body as { userId: string }).userId);
    res.redirect(303, '/state');
  });
  app.post('/logout', async (req, res) => {
    await req.session.logout();
    res.status(204).end();
  });
  app.get('/protected', requireAuth(), (req, res) => void res.json({ userId: req.session.userId }));
  app.get('/recent', requireAuth({ maxAuthAgeMs: 60_000 }), (req, res) => {
    res.json({ userId: req.session.userId });
  });
  app.get('/devices', requireAuth(), async (req, res) => void res.json(await req.session.listSessions()));
  app.post('/form', (req, res) => {
    const note = (req.body as Record<string, unknown> | undefined)?.note;
    res.json({ note: typeof note === 'string' ? note : null });
  });
  app.post('/hook', (req, res) => {
    req.session.set('hook', true);
    res.status(204).end();
  });
  extra?.(app);
  app.use(sessionErrorHandler());
  return app;
}

export function listen(app: Express): Promise<TestServer> {
  return listenNode(app);
}

/** A real store whose writes take `delay` ms: a commit that raced the response would lose. */
export function slowStore(inner: SessionStore, delay: { ms: number; fail: boolean }): SessionStore {
  const later = <T>(fn: () => Promise<T>) =>
    new Promise<T>((resolve, reject) =>
      setTimeout(() => (delay.fail ? reject(new Error('down')) : fn().then(resolve, reject)), delay.ms),
    );
  return {
    name: inner.name,
    capabilities: inner.capabilities,
    load: (...a) => inner.load(...a),
    create: (...a) => later(() => inner.create(...a)),
    update: (...a) => later(() => inner.update(...a)),
    rotate: (...a) => later(() => inner.rotate(...a)),
    destroy: (...a) => inner.destroy(...a),
    listUserSessions: (...a) => inner.listUserSessions(...a),
    revokeUserSessions: (...a) => inner.revokeUserSessions(...a),
  };
}

/** The Cookie header a browser would send back after `res`. */
export const cookieOf = (res: Response) =>
  res.headers
    .getSetCookie()
    .map((l) => l.split(';')[0])
    .join('; ');
