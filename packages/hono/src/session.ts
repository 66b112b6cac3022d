/**
 * Hono middleware: one `RequestSession` per request, at `c.get('session')`. The response is
 * not returned to the runtime until `commit()` has written the session and its headers are
 * on `c.res`, so a redirect after login never races the save. Web-standard APIs only.
 */
import {
  adapterEntry,
  type CsrfFormSource,
  type CsrfResult,
  csrfSkip,
  enforceCsrf,
  errorBodyOf,
  httpStatusOf,
  isSessionError,
  type ResponseHeaders,
  resolveClientIp,
  resolveProto,
  resolveSessionOptions,
  type Session,
  type SessionData,
  type SessionManager,
  type SessionOptions,
  type SessionRequest,
  type TrustProxy,
} from '@tessera/session-core';
import type { Context, MiddlewareHandler } from 'hono';
import type { GetConnInfo } from 'hono/conninfo';
import { matchedRoutes } from 'hono/route';
import { json } from './internal/json.js';

/** Hono `Env` carrying the session handle: `new Hono<SessionEnv<MyData>>()`. */
export type SessionEnv<D extends SessionData = SessionData> = {
  Variables: { session: Session<D> };
};

/** Manager options (or a shared `{ manager }`), `trustProxy`, and where the client IP comes from. */
export type HonoSessionOptions<D extends SessionData = SessionData> = SessionOptions<D> & {
  /**
   * The runtime's connection-info helper (`getConnInfo` from `@hono/node-server/conninfo`,
   * `hono/bun`, `hono/deno`, `hono/cloudflare-workers`...), for the client IP.
   * @default on @hono/node-server the socket peer is read from the `incoming` binding; elsewhere no IP
   */
  readonly getConnInfo?: GetConnInfo;
};

export type SessionMiddleware<D extends SessionData> = MiddlewareHandler<SessionEnv<D>> & {
  /** The manager behind this middleware (admin API: list/revoke a user's sessions). */
  readonly manager: SessionManager<D>;
};

export function session<D extends SessionData = SessionData>(
  options: HonoSessionOptions<D>,
): SessionMiddleware<D> {
  const { manager, trust } = resolveSessionOptions<D>(options);
  const connInfo = options.getConnInfo ?? nodePeer;
  const middleware: MiddlewareHandler<SessionEnv<D>> = async (c, next) => {
    let rs: Awaited<ReturnType<SessionManager<D>['begin']>>;
    let request: HonoRequest;
    try {
      request = new HonoRequest(c, connInfo, trust);
      rs = await manager.begin(request);
    } catch (error) {
      if (isSessionError(error)) return json(httpStatusOf(error.code), errorBodyOf(error));
      throw error;
    }
    // The raw body is cached by Hono, so the handler can still read it (json(), parseBody()).
    const form: CsrfFormSource = { read: () => c.req.arrayBuffer() };
    const entry = { verifyCsrf: () => rs.verifyCsrf(form), csrfEnforced: false, manager, ip: request.ip };
    adapterEntry.set(c, entry);
    c.set('session', rs.session);
    if (manager.policy.csrf.enabled) {
      const checked = enforceCsrf(rs, form, () => skipped(c));
      const result: CsrfResult = checked instanceof Promise ? await checked : checked;
      if (!result.ok) return refused(await rs.commit());
      entry.csrfEnforced = true;
    }
    await next();
    // Hono turned a thrown error into c.res already; a SessionError gets its own status.
    if (isSessionError(c.error)) replace(c, httpStatusOf(c.error.code), errorBodyOf(c.error));
    let headers: Awaited<ReturnType<typeof rs.commit>>;
    try {
      // A read has nothing to write: no wait, no async hop.
      headers = rs.commitIfClean() ?? (await rs.commit());
    } catch (error) {
      if (!isSessionError(error)) throw error;
      replace(c, httpStatusOf(error.code), errorBodyOf(error));
      return;
    }
    setHeaders(c, headers);
  };
  return Object.assign(middleware, { manager });
}

/** What the core reads of a request. A class, not an object literal with a getter: it stays cheap. */
class HonoRequest implements SessionRequest {
  readonly method: string;
  readonly ip: string | null;
  readonly #c: Context;
  readonly #peer: string | undefined;
  readonly #trust: TrustProxy;

  constructor(c: Context, connInfo: GetConnInfo, trust: TrustProxy) {
    this.#c = c;
    this.#trust = trust;
    this.method = c.req.method;
    this.#peer = peerOf(connInfo, c);
    this.ip = resolveClientIp(this.#peer, c.req.header('x-forwarded-for'), trust);
  }

  header(name: string): string | undefined {
    return this.#c.req.header(name);
  }

  /**
   * Only the CSRF check of an unsafe request reads it. The URL's scheme is what reached this
   * server; behind a TLS-terminating proxy the session's `trustProxy` lets X-Forwarded-Proto
   * say what the browser used (as in every other adapter).
   */
  get selfOrigin(): string {
    const url = new URL(this.#c.req.url);
    const direct = url.protocol === 'https:' ? 'https' : 'http';
    const proto = resolveProto(this.#peer, this.#c.req.header('x-forwarded-proto'), this.#trust, direct);
    return `${proto}://${url.host}`;
  }
}

/**
 * Put the commit's headers on the response. `c.header()` after the handler has answered
 * copies the response (`new Response(res.body, res)`), which on @hono/node-server turns its
 * lightweight response into a full web Response with a stream body (~100 µs per login).
 * Appending to `c.res.headers` does not; a response whose headers are immutable
 * (`Response.redirect()`, a fetched one) throws on the first change and gets the copy.
 */
function setHeaders(c: Context, headers: ResponseHeaders): void {
  if (headers.length === 0) return;
  if (c.finalized) {
    try {
      const target = c.res.headers;
      for (const [name, value] of headers) {
        if (name === 'set-cookie') target.append(name, value);
        else target.set(name, value);
      }
      return;
    } catch {
      // Immutable: nothing was changed; fall through to Hono's copy.
    }
  }
  for (const [name, value] of headers) c.header(name, value, { append: name === 'set-cookie' });
}

function replace(c: Context, status: number, body: unknown): void {
  // The replaced response is never read: cancel its body, or a streamed one (c.stream,
  // streamSSE, c.body(ReadableStream)) waits forever on its reader and its producer's
  // cleanup (a `finally`, a cursor to close) never runs. A locked body rejects: nothing to do.
  c.res.body?.cancel().catch(() => {});
  // Clearing first so the handler's headers (a stale Set-Cookie) are not carried over.
  c.res = undefined;
  c.res = json(status, body);
}

/**
 * The CSRF refusal: 403 JSON, with what loading left to send (a rejected cookie's clearing,
 * and `Cache-Control: no-store` with it). Nothing was changed, so the commit writes nothing.
 */
function refused(headers: ResponseHeaders): Response {
  const res = json(403, { error: 'csrf' });
  for (const [name, value] of headers) res.headers.append(name, value);
  return res;
}

/** `skipCsrf()` ran before this middleware, or is one of the matched route's handlers. */
function skipped(c: Context): boolean {
  if (csrfSkip.marked(c)) return true;
  for (const route of matchedRoutes(c)) if (csrfSkip.tagged(route.handler)) return true;
  return false;
}

function peerOf(connInfo: GetConnInfo, c: Context): string | undefined {
  try {
    return connInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/** @hono/node-server passes `{ incoming }` as the env; read it without importing Node types. */
const nodePeer: GetConnInfo = (c) => {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  const address = env?.incoming?.socket?.remoteAddress;
  return { remote: address === undefined ? {} : { address, addressType: undefined } };
};
