/** Fastify 5: bare, @fastify/session + connect-redis. */
import type { Server } from 'node:http';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyRequest } from 'fastify';
import type { Contender } from '../contenders.js';
import { connectRedisStore } from './express.js';
import { IDLE_SECONDS, nextLoginUser, PEER_SECRET } from './stores.js';

interface PeerSession {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  regenerate(): Promise<void>;
}

export async function fastifyApp(c: Contender): Promise<Server> {
  const app = Fastify({ logger: false });
  if (c.library === 'bare') {
    app.get('/read', async () => ({ n: 0 }));
    app.post('/write', async () => ({ n: 1 }));
    app.post('/login', async () => ({ ok: true }));
    app.get('/none', async () => ({ ok: true }));
    app.post('/setup', async () => ({ ok: true }));
  } else {
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: PEER_SECRET,
      saveUninitialized: false,
      cookie: { secure: false, httpOnly: true, sameSite: 'lax', maxAge: IDLE_SECONDS * 1000 },
      store: (await connectRedisStore()) as never,
    });
    const s = (req: FastifyRequest) => (req as unknown as { session: PeerSession }).session;
    app.get('/read', async (req) => ({ u: s(req).get('userId'), n: s(req).get('n') }));
    app.post('/write', async (req) => {
      const n = ((s(req).get('n') as number | undefined) ?? 0) + 1;
      s(req).set('n', n);
      return { n };
    });
    const login = async (req: FastifyRequest, user: string, n?: number) => {
      await s(req).regenerate();
      s(req).set('userId', user);
      if (n !== undefined) s(req).set('n', n);
      return { ok: true };
    };
    app.post('/login', (req) => login(req, nextLoginUser()));
    app.post('/setup', (req) => login(req, `user-${String((req.query as { u?: string }).u)}`, 0));
    app.get('/none', async () => ({ ok: true }));
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server;
}
