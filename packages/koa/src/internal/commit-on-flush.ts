/**
 * `ctx.flushHeaders()` support for the Koa middleware: the one way a Koa handler sends the
 * headers before the chain resolves, so before the middleware's own commit.
 */
import type { ServerResponse } from 'node:http';
import {
  errorBodyOf,
  httpStatusOf,
  isSessionError,
  type RequestSession,
  type ResponseHeaders,
  SessionError,
} from '@tessera/session-core';
import type { Context } from 'koa';

export const SENT = 'the response has already been sent; the session can no longer change.';
const FLUSHED = 'the response headers have been flushed; the session can no longer change.';
export const NOT_SAVED =
  'the response headers were sent by a direct write to ctx.res before the session was committed; its change was not saved.';
const NOT_DELIVERED =
  'the response headers were sent (a direct write to ctx.res, or an error response) while ctx.flushHeaders() committed the session; the client did not get its cookie.';

export function setHeaders(ctx: Context, headers: ResponseHeaders): void {
  for (const [name, value] of headers) {
    if (name === 'set-cookie') ctx.append(name, value);
    else ctx.set(name, value);
  }
}

/**
 * `ctx.flushHeaders()` sends the headers while the middleware still waits on `next()`, before
 * its commit. Once the session has something to commit, `ctx.res.flushHeaders` is wrapped: the
 * call starts the commit and returns; once it is done the session's headers are put on the
 * response and the headers flushed (a failed commit answers the error JSON instead). Changes
 * after the call are refused: the headers are on their way. The middleware then awaits that
 * commit rather than starting another.
 */
export class CommitOnFlush {
  readonly #ctx: Context;
  readonly #rs: RequestSession;
  readonly #flush: ServerResponse['flushHeaders'];
  #commit: Promise<ResponseHeaders> | null = null;
  #applied = false;
  #settled = false;
  /** Set once `flushHeaders()` was called; settles (never rejects) once it was answered. */
  flushed: Promise<void> | null = null;
  /** What that commit threw when it was not a SessionError, for the middleware to rethrow to Koa. */
  crash: { error: unknown } | null = null;

  constructor(ctx: Context, rs: RequestSession) {
    this.#ctx = ctx;
    this.#rs = rs;
    this.#flush = ctx.res.flushHeaders;
    // A bound method, not an arrow function: an arrow here allocates a context per request
    // that holds this object (and through it the request). Measured on a Koa + Redis server
    // signing in 1,000 users 24 at a time: with the arrow V8 pretenured ~75 allocation sites
    // (Node's request and response internals among them) and every later read cost 20-80%
    // more CPU; bound, 5 sites, as many as bare Koa's (`pnpm --filter @tessera/bench pretenuring`).
    ctx.res.flushHeaders = this.#onFlush.bind(this);
  }

  /** The wrapped `res.flushHeaders`. */
  #onFlush(): void {
    const res = this.#ctx.res;
    if (this.flushed === null && !res.headersSent) this.flushed = this.#commitThenFlush();
    // A second call while the commit runs waits for it; after it, or once sent, passes through.
    else if (this.flushed === null || this.#settled) this.#flush.call(res);
  }

  /** The request's one commit, whoever asks first (a flush or the middleware after `next()`). */
  commit(): Promise<ResponseHeaders> {
    this.#commit ??= this.#rs.commit();
    return this.#commit;
  }

  /** Put the commit's headers on the response, once (both the flush and the middleware may). */
  apply(headers: ResponseHeaders): void {
    if (this.#applied) return;
    this.#applied = true;
    setHeaders(this.#ctx, headers);
  }

  async #commitThenFlush(): Promise<void> {
    const ctx = this.#ctx;
    const res = ctx.res;
    this.#rs.onFirstChange(() => {
      throw new SessionError('invalid_state', FLUSHED);
    });
    try {
      const headers = await this.commit();
      if (res.headersSent) {
        ctx.app.emit('error', new SessionError('invalid_state', NOT_DELIVERED), ctx);
        return;
      }
      this.apply(headers);
      this.#flush.call(res);
    } catch (error) {
      if (!isSessionError(error)) {
        this.crash = { error };
        res.destroy();
      } else if (!res.headersSent) {
        // Koa answers only once the chain resolves (an SSE handler may hold it open): answer now.
        for (const name of res.getHeaderNames()) res.removeHeader(name);
        res.statusCode = httpStatusOf(error.code);
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(JSON.stringify(errorBodyOf(error)));
      }
    } finally {
      this.#settled = true;
    }
  }
}
