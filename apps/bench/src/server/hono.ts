/** Hono on @hono/node-server: bare, hono-sessions (with a thin Redis store), Tessera. */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Session } from '@tessera/session-core';
import { type Context, Hono } from 'hono';
import { sessionMiddleware } from 'hono-sessions';
import type { Contender } from '../contenders.js';
import { IDLE_SECONDS, ioredisClient, nextLoginUser, poolUser, ready, tesseraStore } from './stores.js';

/**
 * hono-sessions ships no Redis store; this is the thin one its Store interface asks for
 * (GET / SET EX / DEL of the JSON record), as a user would write it.
 */
async function honoSessionsRedisStore() {
  const client = ioredisClient();
  await ready(client);
  const key = (sid: string) => `hono-sess:${sid}`;
  return {
    async getSessionById(sid?: string) {
      if (!sid) return null;
      const raw = await client.get(key(sid));
      return raw === null ? null : JSON.parse(raw);
    },
    async createSession(sid: string, data: unknown) {
      await client.set(key(sid), JSON.stringify(data), 'EX', IDLE_SECONDS);
    },
    async persistSessionData(sid: string, data: unknown) {
      await client.set(key(sid), JSON.stringify(data), 'EX', IDLE_SECONDS);
    },
    async deleteSession(sid: string) {
      await client.del(key(sid));
    },
  };
}

interface PeerSession {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

export async function honoApp(c: Contender): Promise<Server> {
  // biome-ignore lint/suspicious/noExplicitAny: three different session handles share one app type
  const app = new Hono<{ Variables: { session: any; session_key_rotation: boolean } }>();
  if (c.library === 'bare') {
    app.get('/read', (ctx) => ctx.json({ n: 0 }));
    app.post('/write', (ctx) => ctx.json({ n: 1 }));
    app.post('/login', (ctx) => ctx.json({ ok: true }));
    app.get('/none', (ctx) => ctx.json({ ok: true }));
    app.post('/setup', (ctx) => ctx.json({ ok: true }));
  } else if (c.library === 'hono-sessions') {
    app.use(
      sessionMiddleware({
        store: await honoSessionsRedisStore(),
        expireAfterSeconds: IDLE_SECONDS,
        cookieOptions: { httpOnly: true, sameSite: 'Lax', path: '/', secure: false },
      }),
    );
    const s = (ctx: Context) => ctx.get('session') as PeerSession;
    app.get('/read', (ctx) => ctx.json({ u: s(ctx).get('userId'), n: s(ctx).get('n') }));
    app.post('/write', (ctx) => {
      const n = ((s(ctx).get('n') as number | null) ?? 0) + 1;
      s(ctx).set('n', n);
      return ctx.json({ n });
    });
    const login = (ctx: Context, user: string, n?: number) => {
      s(ctx).set('userId', user);
      if (n !== undefined) s(ctx).set('n', n);
      ctx.set('session_key_rotation', true);
      return ctx.json({ ok: true });
    };
    app.post('/login', (ctx) => login(ctx, nextLoginUser()));
    app.post('/setup', (ctx) => login(ctx, poolUser(ctx.req.query('u')), 0));
    app.get('/none', (ctx) => ctx.json({ ok: true }));
  } else {
    const { session } = await import('@tessera/session-hono');
    // Like for like: no peer checks CSRF, so neither does Tessera here (the check is one SHA-256
    // per unsafe request; apps get it on by default).
    app.use(
      session({
        store: await tesseraStore(c),
        cookie: { secure: false },
        csrf: { enabled: false },
      }),
    );
    const s = (ctx: Context) => ctx.get('session') as Session;
    app.get('/read', (ctx) => ctx.json({ u: s(ctx).userId, n: s(ctx).get('n') }));
    app.post('/write', (ctx) => {
      const n = ((s(ctx).get('n') as number | undefined) ?? 0) + 1;
      s(ctx).set('n', n);
      return ctx.json({ n });
    });
    app.post('/login', async (ctx) => {
      await s(ctx).login(nextLoginUser());
      return ctx.json({ ok: true });
    });
    app.post('/setup', async (ctx) => {
      await s(ctx).login(poolUser(ctx.req.query('u')));
      s(ctx).set('n', 0);
      return ctx.json({ ok: true });
    });
    app.get('/none', (ctx) => ctx.json({ ok: true }));
  }
  return serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
}
