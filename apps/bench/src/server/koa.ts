/** Koa 3: bare, koa-session + koa-redis, Tessera. */
import { createServer, type Server } from 'node:http';
import type { Session } from '@tessera/session-core';
import Koa, { type Context } from 'koa';
import koaSession from 'koa-session';
import type { Contender } from '../contenders.js';
import { env, IDLE_SECONDS, nextLoginUser, PEER_SECRET, poolUser, tesseraStore } from './stores.js';

interface PeerSession {
  n?: number;
  userId?: string;
  regenerate(): Promise<void>;
}

type Route = (ctx: Context) => unknown;

function router(routes: Record<string, Route>): Koa.Middleware {
  return async (ctx) => {
    const route = routes[`${ctx.method} ${ctx.path}`];
    if (!route) {
      ctx.status = 404;
      return;
    }
    ctx.body = await route(ctx);
  };
}

export async function koaApp(c: Contender): Promise<Server> {
  const app = new Koa();
  if (c.library === 'bare') {
    app.use(
      router({
        'GET /read': () => ({ n: 0 }),
        'POST /write': () => ({ n: 1 }),
        'POST /login': () => ({ ok: true }),
        'GET /none': () => ({ ok: true }),
        'POST /setup': () => ({ ok: true }),
      }),
    );
  } else if (c.library === 'koa-session') {
    const { default: redisStore } = await import('koa-redis');
    app.keys = [PEER_SECRET];
    app.use(
      koaSession(
        {
          store: redisStore({ url: env('BENCH_REDIS_URL') }),
          maxAge: IDLE_SECONDS * 1000,
          secure: false,
          httpOnly: true,
          sameSite: 'lax',
        } as unknown as Parameters<typeof koaSession>[0],
        app as unknown as Parameters<typeof koaSession>[1],
      ),
    );
    const s = (ctx: Context) => (ctx as unknown as { session: PeerSession }).session;
    const login = async (ctx: Context, user: string, n?: number) => {
      const session = s(ctx);
      session.userId = user;
      if (n !== undefined) session.n = n;
      await session.regenerate();
      return { ok: true };
    };
    app.use(
      router({
        'GET /read': (ctx) => ({ u: s(ctx).userId, n: s(ctx).n }),
        'POST /write': (ctx) => {
          const session = s(ctx);
          session.n = (session.n ?? 0) + 1;
          return { n: session.n };
        },
        'POST /login': (ctx) => login(ctx, nextLoginUser()),
        'POST /setup': (ctx) => login(ctx, poolUser(ctx.query.u), 0),
        'GET /none': () => ({ ok: true }),
      }),
    );
  } else {
    const { session } = await import('@tessera/session-koa');
    // Like for like: no peer checks CSRF, so neither does Tessera here (the check is one SHA-256
    // per unsafe request; apps get it on by default).
    app.use(session({ store: await tesseraStore(c), cookie: { secure: false }, csrf: { enabled: false } }));
    const s = (ctx: Context) => (ctx as unknown as { session: Session }).session;
    app.use(
      router({
        'GET /read': (ctx) => ({ u: s(ctx).userId, n: s(ctx).get('n') }),
        'POST /write': (ctx) => {
          const n = ((s(ctx).get('n') as number | undefined) ?? 0) + 1;
          s(ctx).set('n', n);
          return { n };
        },
        'POST /login': async (ctx) => {
          await s(ctx).login(nextLoginUser());
          return { ok: true };
        },
        'POST /setup': async (ctx) => {
          await s(ctx).login(poolUser(ctx.query.u));
          s(ctx).set('n', 0);
          return { ok: true };
        },
        'GET /none': () => ({ ok: true }),
      }),
    );
  }
  return createServer(app.callback()).listen(0, '127.0.0.1');
}
