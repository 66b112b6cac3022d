/**
 * Koa middleware: one `RequestSession` per request, at `ctx.session`. Koa writes the response
 * only after the middleware chain resolves, so awaiting `commit()` after `next()` puts the
 * session's headers on the response before any byte is sent (read-your-writes).
 */
import {
  adapterEntry,
  errorBodyOf,
  httpStatusOf,
  isSessionError,
  resolveClientIp,
  resolveSessionOptions,
  type Session,
  type SessionData,
  type SessionError,
  type SessionManager,
  type SessionOptions,
  type SessionRequest,
  type TrustProxy,
} from '@tessera/session-core';
import type { Context, Middleware } from 'koa';

declare module 'koa' {
  interface DefaultContext {
    /** This request's session (set by `session()` from `@tessera/session-koa`). */
    session: Session<SessionData>;
  }
}

/** Manager options (a manager is built once), or a manager you built and share; plus `trustProxy`. */
export type KoaSessionOptions = SessionOptions;

export type SessionMiddleware = Middleware & {
  /** The manager behind this middleware (admin API: list/revoke a user's sessions). */
  readonly manager: SessionManager;
};

/**
 * Session middleware; the handle is `ctx.session`. Type its data by augmenting `SessionData`
 * (`declare module '@tessera/session-core' { interface SessionData { cart: string[] } }`).
 */
export function session(options: KoaSessionOptions): SessionMiddleware {
  const { manager, trust } = resolveSessionOptions(options);
  const middleware: Middleware = async (ctx, next) => {
    let rs: Awaited<ReturnType<SessionManager['begin']>>;
    try {
      rs = await manager.begin(new KoaRequest(ctx, trust));
    } catch (error) {
      if (!isSessionError(error)) throw error;
      return fail(ctx, error);
    }
    adapterEntry.set(ctx, { checkCsrf: (form) => rs.checkCsrf(form), manager });
    ctx.session = rs.session;
    try {
      await next();
    } catch (error) {
      // A SessionError from a handler (session_limit...) is an answer, not a crash.
      if (!isSessionError(error)) throw error;
      fail(ctx, error);
    }
    let headers: Awaited<ReturnType<typeof rs.commit>>;
    try {
      // A read has nothing to write: no wait, no async hop.
      headers = rs.commitIfClean() ?? (await rs.commit());
    } catch (error) {
      if (!isSessionError(error)) throw error;
      return fail(ctx, error);
    }
    // A handler that wrote to ctx.res itself (ctx.respond = false) gets no session headers.
    if (ctx.headerSent) return;
    for (const [name, value] of headers) {
      if (name === 'set-cookie') ctx.append(name, value);
      else ctx.set(name, value);
    }
  };
  return Object.assign(middleware, { manager });
}

/** What the core reads of a request. A class, not an object literal: it stays cheap. */
class KoaRequest implements SessionRequest {
  readonly method: string;
  readonly ip: string | null;
  readonly #ctx: Context;

  constructor(ctx: Context, trust: TrustProxy) {
    this.#ctx = ctx;
    this.method = ctx.method;
    this.ip = resolveClientIp(ctx.req.socket.remoteAddress, ctx.get('x-forwarded-for'), trust);
  }

  header(name: string): string | undefined {
    return this.#ctx.get(name) || undefined;
  }

  /** Only the CSRF check of an unsafe request reads it. Not ctx.origin: since Koa 3 that is the request's Origin header. */
  get selfOrigin(): string {
    return `${this.#ctx.protocol}://${this.#ctx.host}`;
  }
}

/** Answer a SessionError as its status and `{ error }` JSON, unless the response already left. */
export function fail(
  ctx: { readonly headerSent: boolean; status: number; body: unknown },
  error: SessionError,
): void {
  if (ctx.headerSent) return;
  ctx.status = httpStatusOf(error.code);
  ctx.body = errorBodyOf(error);
}
