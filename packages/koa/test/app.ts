/**
 * The contract suite's TEST APP, built with the Koa adapter (routes: see adapter-contract.ts).
 * Koa ships no router or body parser; a few lines stand in for @koa/router and @koa/bodyparser.
 */
import type { SessionManager, TrustProxy } from '@tessera/session-core';
import { listenNode, type TestServer } from '@tessera/session-testing';
import Koa, { type Middleware } from 'koa';
import { requireAuth, session, skipCsrf } from '../src/index.js';

/** Stand-in for @koa/bodyparser: JSON and urlencoded bodies on `ctx.request.body`. */
const bodyParser: Middleware = async (ctx, next) => {
  if (ctx.method === 'POST') {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const request = ctx.request as { body?: unknown };
    if (ctx.is('application/json')) request.body = text ? JSON.parse(text) : {};
    else if (ctx.is('application/x-www-form-urlencoded'))
      request.body = Object.fromEntries(new URLSearchParams(text));
  }
  await next();
};

const whoami: Middleware = (ctx) => {
  ctx.body = { userId: ctx.session.userId };
};

const body = <T>(ctx: Koa.Context): T => (ctx.request as { body?: unknown }).body as T;

export function buildApp(
  manager: SessionManager,
  extra: Record<string, Middleware[]> = {},
  trustProxy: TrustProxy = false,
): Koa {
  const routes: Record<string, Middleware[]> = {
    'GET /state': [
      (ctx) => {
        const s = ctx.session;
        ctx.body = {
          authenticated: s.authenticated,
          userId: s.userId,
          handle: s.handle,
          csrfToken: s.csrfToken,
          data: s.toJSON(),
        };
      },
    ],
    'POST /set': [
      (ctx) => {
        const { key, value } = body<{ key: string; value: unknown }>(ctx);
        ctx.session.set(key, value);
        ctx.status = 204;
      },
    ],
    'POST /login': [
      async (ctx) => {
        const { userId } = body<{ userId: string }>(ctx);
        await ctx.session.login(userId);
        ctx.body = { userId };
      },
    ],
    'POST /login-redirect': [
      async (ctx) => {
        await ctx.session.login(body<{ userId: string }>(ctx).userId);
        ctx.status = 303;
        ctx.redirect('/state');
      },
    ],
    'POST /logout': [
      async (ctx) => {
        await ctx.session.logout();
        ctx.status = 204;
      },
    ],
    'GET /protected': [requireAuth(), whoami],
    'GET /recent': [requireAuth({ maxAuthAgeMs: 60_000 }), whoami],
    'GET /devices': [
      requireAuth(),
      async (ctx) => {
        ctx.body = await ctx.session.listSessions();
      },
    ],
    'POST /form': [
      (ctx) => {
        const note = body<Record<string, unknown> | undefined>(ctx)?.note;
        ctx.body = { note: typeof note === 'string' ? note : null };
      },
    ],
    'POST /hook': [
      (ctx) => {
        ctx.session.set('hook', true);
        ctx.status = 204;
      },
    ],
    ...extra,
  };
  const app = new Koa();
  app.silent = true;
  // skipCsrf() before session(): Koa has no routes the session middleware could look at.
  app.use(skipCsrf((ctx) => ctx.path === '/hook'));
  app.use(session({ manager, trustProxy }));
  // The body parser after session(): the CSRF form check must leave the body for it.
  app.use(bodyParser);
  app.use(async (ctx, next) => {
    const chain = routes[`${ctx.method} ${ctx.path}`];
    if (!chain) return next();
    const run = (i: number): Promise<void> =>
      Promise.resolve(chain[i]?.(ctx, () => run(i + 1))).then(() => undefined);
    await run(0);
  });
  return app;
}

export function listen(app: Koa): Promise<TestServer> {
  return listenNode(app.callback());
}
