/**
 * Koa middleware: one `RequestSession` per request, at `ctx.session`. Koa writes the response
 * only after the middleware chain resolves, so awaiting `commit()` after `next()` puts the
 * session's headers on the response before any byte is sent (read-your-writes). The one way a
 * handler sends headers earlier, `ctx.flushHeaders()`, commits first (internal/commit-on-flush.ts).
 */
import type { ServerResponse } from 'node:http';
import {
  adapterEntry,
  type CsrfFormSource,
  type CsrfResult,
  csrfSkip,
  enforceCsrf,
  errorBodyOf,
  httpStatusOf,
  isSessionError,
  peekBody,
  type RequestSession,
  type ResponseHeaders,
  resolveSessionOptions,
  type Session,
  type SessionData,
  SessionError,
  type SessionManager,
  type SessionOptions,
} from '@tessera/session-core';
import { NodeSessionRequest } from '@tessera/session-core/node';
import type { Middleware } from 'koa';
import { CommitOnFlush, NOT_SAVED, SENT, setHeaders } from './internal/commit-on-flush.js';

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
    let rs: RequestSession;
    let request: NodeSessionRequest;
    try {
      // The session's trustProxy decides the client IP and origin, not Koa's `app.proxy`.
      request = new NodeSessionRequest(ctx.req, trust);
      rs = await manager.begin(request);
    } catch (error) {
      if (!isSessionError(error)) throw error;
      return fail(ctx, error);
    }
    const form: CsrfFormSource = {
      // A body parser mounted before session() already read the body: its field is used.
      parsed: () => (ctx.request as { body?: unknown }).body,
      // Otherwise the bytes are read and put back, for the app's body parser after this one.
      read: (length) => peekBody(ctx.req, length),
    };
    const entry = { verifyCsrf: () => rs.verifyCsrf(form), csrfEnforced: false, manager, ip: request.ip };
    adapterEntry.set(ctx, entry);
    ctx.session = rs.session;
    if (manager.policy.csrf.enabled) {
      const checked = enforceCsrf(rs, form, () => csrfSkip.marked(ctx));
      const result: CsrfResult = checked instanceof Promise ? await checked : checked;
      if (!result.ok) {
        fail(ctx, new SessionError('csrf', `request refused: ${result.reason}.`));
        // What loading left to send (a rejected cookie's clearing, with no-store) goes too;
        // nothing was changed, so the commit writes nothing.
        return setHeaders(ctx, await rs.commit());
      }
      entry.csrfEnforced = true;
    }
    // Only a session with something to commit gets ctx.res.flushHeaders wrapped: right away
    // when loading left a cookie to send, otherwise at the handler's first change. A request
    // that only reads writes no property on the response.
    let onFlush = rs.needsCommit ? new CommitOnFlush(ctx, rs) : null;
    let changed = false;
    rs.onFirstChange(() => {
      if (ctx.headerSent) throw new SessionError('invalid_state', SENT);
      changed = true;
      onFlush ??= new CommitOnFlush(ctx, rs);
    });
    try {
      await next();
    } catch (error) {
      // A SessionError from a handler (session_limit...) is an answer, not a crash.
      if (!isSessionError(error)) throw error;
      fail(ctx, error);
    }
    if (onFlush?.flushed) {
      // ctx.flushHeaders() committed already and answered: the headers, or the error JSON.
      await onFlush.flushed;
      if (onFlush.crash) throw onFlush.crash.error;
      return;
    }
    if (changed && ctx.headerSent) {
      // A direct write to ctx.res (unsupported): the change cannot reach the client, so it is
      // not saved (a login would otherwise end the client's session), and Koa hears of it.
      ctx.app.emit('error', new SessionError('invalid_state', NOT_SAVED), ctx);
      return;
    }
    let headers: ResponseHeaders;
    try {
      // A read has nothing to write: no wait, no async hop.
      headers = rs.commitIfClean() ?? (await (onFlush ? onFlush.commit() : rs.commit()));
    } catch (error) {
      if (!isSessionError(error)) throw error;
      return fail(ctx, error, true);
    }
    // A handler that wrote to ctx.res itself (ctx.respond = false) gets no session headers.
    if (ctx.headerSent) return;
    if (onFlush) onFlush.apply(headers);
    else setHeaders(ctx, headers);
  };
  return Object.assign(middleware, { manager });
}

/**
 * Answer a SessionError as its status and `{ error }` JSON, unless the response already left.
 * `replace` (a failed commit) first drops every header set so far: the handler's Location,
 * its cookies.
 */
export function fail(
  ctx: { readonly headerSent: boolean; readonly res: ServerResponse; status: number; body: unknown },
  error: SessionError,
  replace = false,
): void {
  if (ctx.headerSent) return;
  if (replace) for (const name of ctx.res.getHeaderNames()) ctx.res.removeHeader(name);
  ctx.status = httpStatusOf(error.code);
  ctx.body = errorBodyOf(error);
}
