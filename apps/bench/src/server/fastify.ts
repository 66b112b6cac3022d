/** Fastify 5: bare, @fastify/session + connect-redis, Tessera. */
import type { Server } from 'node:http';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import type { Session as TesseraSession } from '@tessera/session-core';
import Fastify, { type FastifyPluginAsync, type FastifyRequest } from 'fastify';
import type { Contender } from '../contenders.js';
import { connectRedisStore } from './express.js';
import { IDLE_SECONDS, nextLoginUser, PEER_SECRET, poolUser, tesseraStore } from './stores.js';

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
  } else if (c.library === 'tessera') {
    // Not a literal import: @tessera/session-fastify and @fastify/session both declare
    // `request.session`, and this one program type-checks both peers (no app loads both).
    const adapter = '@tessera/session-fastify';
    const { tesseraSession } = (await import(adapter)) as {
      tesseraSession: FastifyPluginAsync<Record<string, unknown>>;
    };
    const s = (req: FastifyRequest) => (req as unknown as { session: TesseraSession }).session;
    // Like for like: no peer checks CSRF, so neither does Tessera here (see hono.ts).
    await app.register(tesseraSession, {
      store: await tesseraStore(c),
      cookie: { secure: false },
      csrf: { enabled: false },
    });
    app.get('/read', async (req) => ({ u: s(req).userId, n: s(req).get('n') }));
    app.post('/write', async (req) => {
      const n = ((s(req).get('n') as number | undefined) ?? 0) + 1;
      s(req).set('n', n);
      return { n };
    });
    app.post('/login', async (req) => {
      await s(req).login(nextLoginUser());
      return { ok: true };
    });
    app.post('/setup', async (req) => {
      await s(req).login(poolUser((req.query as { u?: string }).u));
      s(req).set('n', 0);
      return { ok: true };
    });
    app.get('/none', async () => ({ ok: true }));
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
    app.post('/setup', (req) => login(req, poolUser((req.query as { u?: string }).u), 0));
    app.get('/none', async () => ({ ok: true }));
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server;
}
