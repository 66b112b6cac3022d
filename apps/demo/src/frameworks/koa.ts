// Koa wiring of the demo: session() (which enforces CSRF itself) from @tessera/session-koa, then the shared handlers.
// Koa ships no router and no body parser; a route table and a bounded JSON reader stand in.
import { loginAttempt, loginThrottle, session } from '@tessera/session-koa';
import Koa, { type Context } from 'koa';
import * as api from '../api.js';
import { listenNode } from './listen.js';
import type { StartApp } from './types.js';

/** A body the route cannot take: answered as its Reply. */
class BadBody extends Error {
  constructor(readonly reply: api.Reply) {
    super('bad body');
  }
}

/** The JSON body, or null when absent or malformed; BadBody past MAX_BODY_BYTES. */
async function body(ctx: Context): Promise<unknown> {
  if (!ctx.is('application/json')) return null;
  if (Number(ctx.get('content-length')) > api.MAX_BODY_BYTES) throw new BadBody(api.BODY_TOO_LARGE);
  const chunks: Buffer[] = [];
  let size = 0;
  // Drain to the end (destroying the request would reset the connection), keep only the limit.
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= api.MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > api.MAX_BODY_BYTES) throw new BadBody(api.BODY_TOO_LARGE);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return null;
  }
}

const decode = (segment: string) => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

type Route = (ctx: Context, param: string, body: unknown) => api.Reply | Promise<api.Reply>;

/** `guarded`: the login throttle's guard runs first, and may answer itself (429, 503). */
const routes: [method: string, path: RegExp, route: Route, guarded?: true][] = [
  ['GET', /^\/$/, (ctx) => api.home(ctx.session)],
  ['GET', /^\/api\/session$/, (ctx) => api.getSession(ctx.session)],
  ['POST', /^\/api\/login$/, (ctx, _, json) => api.login(ctx.session, json, loginAttempt(ctx)), true],
  ['POST', /^\/api\/logout$/, (ctx) => api.logout(ctx.session)],
  ['POST', /^\/api\/counter$/, (ctx) => api.counter(ctx.session)],
  ['PUT', /^\/api\/notes\/([^/]+)$/, (ctx, key, json) => api.putNote(ctx.session, key, json)],
  ['GET', /^\/api\/notes$/, (ctx) => api.getNotes(ctx.session)],
  ['GET', /^\/api\/protected$/, (ctx) => api.getProtected(ctx.session)],
  ['GET', /^\/api\/sessions$/, (ctx) => api.listSessions(ctx.session)],
  ['POST', /^\/api\/sessions\/revoke-others$/, (ctx) => api.revokeOthers(ctx.session)],
  ['DELETE', /^\/api\/sessions\/([^/]+)$/, (ctx, handle) => api.revokeSession(ctx.session, handle)],
];

export const start: StartApp = async (manager, port, throttle) => {
  const guard = loginThrottle(throttle, { account: (ctx) => api.usernameOf(ctx.state.json) });
  const app = new Koa();
  app.use(session({ manager }));
  app.use(async (ctx, next) => {
    // Read (and bound) a JSON body on every request, as express.json() and the Hono wiring do:
    // a body over the limit is 413 on every route, whether the route reads it or not.
    let json: unknown;
    try {
      json = await body(ctx);
    } catch (error) {
      if (!(error instanceof BadBody)) throw error;
      ctx.status = error.reply.status;
      ctx.body = error.reply.json;
      return;
    }
    for (const [method, path, route, guarded] of routes) {
      const match = ctx.method === method ? path.exec(ctx.path) : null;
      if (!match) continue;
      ctx.set('cache-control', api.CACHE_CONTROL);
      let r: api.Reply | undefined;
      const run = async () => {
        r = await route(ctx, decode(match[1] ?? ''), json);
      };
      if (guarded) {
        ctx.state.json = json;
        await guard(ctx, run);
      } else await run();
      if (r === undefined) return; // the guard answered
      ctx.status = r.status;
      if (r.html !== undefined) [ctx.type, ctx.body] = ['html', r.html];
      else if (r.json !== undefined) ctx.body = r.json;
      return;
    }
    await next();
  });

  return listenNode(app.callback(), port);
};
