/** Express 5: bare, express-session (connect-redis or its MemoryStore), Tessera. */
import type { Server } from 'node:http';
import type { Session } from '@tessera/session-core';
import { RedisStore } from 'connect-redis';
import express, { type Request, type RequestHandler } from 'express';
import expressSession from 'express-session';
import { createClient } from 'redis';
import type { Contender } from '../contenders.js';
import { env, IDLE_SECONDS, nextLoginUser, PEER_SECRET, poolUser, tesseraStore } from './stores.js';

/** express-session's handle, typed loosely (its types and Tessera's both claim `req.session`). */
interface PeerSession {
  n?: number;
  userId?: string;
  regenerate(cb: (err?: unknown) => void): void;
}

export async function connectRedisStore(): Promise<InstanceType<typeof RedisStore>> {
  const client = createClient({ url: env('BENCH_REDIS_URL') });
  client.on('error', () => undefined);
  await client.connect();
  return new RedisStore({ client, ttl: IDLE_SECONDS });
}

function regenerate(s: PeerSession): Promise<void> {
  return new Promise((resolve, reject) => s.regenerate((err) => (err ? reject(err) : resolve())));
}

export async function expressApp(c: Contender): Promise<Server> {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  if (c.library === 'bare') {
    app.get('/read', (_req, res) => void res.json({ n: 0 }));
    app.post('/write', (_req, res) => void res.json({ n: 1 }));
    app.post('/login', (_req, res) => void res.json({ ok: true }));
    app.get('/none', (_req, res) => void res.json({ ok: true }));
    app.post('/setup', (_req, res) => void res.json({ ok: true }));
  } else if (c.library === 'express-session') {
    const store = c.store === 'redis' ? await connectRedisStore() : undefined;
    app.use(
      expressSession({
        secret: PEER_SECRET,
        resave: false,
        saveUninitialized: false,
        cookie: { secure: false, httpOnly: true, sameSite: 'lax', maxAge: IDLE_SECONDS * 1000 },
        ...(store ? { store } : {}),
      }),
    );
    const s = (req: Request) => (req as unknown as { session: PeerSession }).session;
    app.get('/read', (req, res) => void res.json({ u: s(req).userId, n: s(req).n }));
    app.post('/write', (req, res) => {
      const session = s(req);
      session.n = (session.n ?? 0) + 1;
      res.json({ n: session.n });
    });
    const login =
      (user: string, n?: number): RequestHandler =>
      async (req, res) => {
        await regenerate(s(req));
        const session = s(req);
        session.userId = user;
        if (n !== undefined) session.n = n;
        res.json({ ok: true });
      };
    app.post('/login', (req, res, next) => login(nextLoginUser())(req, res, next));
    app.post('/setup', (req, res, next) => login(poolUser(req.query.u), 0)(req, res, next));
    app.get('/none', (_req, res) => void res.json({ ok: true }));
  } else {
    const { session } = await import('@tessera/session-express');
    // Like for like: no peer checks CSRF, so neither does Tessera here (the check is one SHA-256
    // per unsafe request; apps get it on by default).
    app.use(session({ store: await tesseraStore(c), cookie: { secure: false }, csrf: { enabled: false } }));
    const s = (req: Request) => (req as unknown as { session: Session }).session;
    app.get('/read', (req, res) => void res.json({ u: s(req).userId, n: s(req).get('n') }));
    app.post('/write', (req, res) => {
      const session = s(req);
      const n = ((session.get('n') as number | undefined) ?? 0) + 1;
      session.set('n', n);
      res.json({ n });
    });
    app.post('/login', async (req, res) => {
      await s(req).login(nextLoginUser());
      res.json({ ok: true });
    });
    app.post('/setup', async (req, res) => {
      const session = s(req);
      await session.login(poolUser(req.query.u));
      session.set('n', 0);
      res.json({ ok: true });
    });
    app.get('/none', (_req, res) => void res.json({ ok: true }));
  }
  return app.listen(0, '127.0.0.1');
}
