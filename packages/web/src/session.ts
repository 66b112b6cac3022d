/**
 * `withSession(handler, options)`: one `RequestSession` per web-standard `Request`, loaded
 * before the handler and committed before its `Response` is returned, with the commit's
 * headers on it, so a redirect after login never races the save. For any runtime whose
 * handlers are `(request, ...rest) => Response`: Bun.serve, Deno.serve, Next.js route
 * handlers, @hono/node-server, Cloudflare Workers. Web-standard APIs and the core's main
 * entry only.
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
  resolveSessionOptions,
  type Session,
  type SessionData,
  type SessionManager,
  type SessionOptions,
} from '@tessera/session-core';
import { json } from './internal/json.js';
import { WebRequest } from './internal/request.js';
import { discard, withHeaders } from './internal/respond.js';

/** A handler as runtimes call it: Bun's `(req, server)`, Deno's `(req, info)`, Next's `(req, ctx)`. */
export type WebHandler<A extends unknown[] = unknown[]> = (
  request: Request,
  ...rest: A
) => Response | Promise<Response>;

/** The handler `withSession` wraps: the same, with the request's session second. */
export type SessionHandler<D extends SessionData = SessionData, A extends unknown[] = unknown[]> = (
  request: Request,
  session: Session<D>,
  ...rest: A
) => Response | Promise<Response>;

/** Manager options (or a shared `{ manager }`), `trustProxy`, and where the client IP comes from. */
export type WebSessionOptions<
  D extends SessionData = SessionData,
  A extends unknown[] = unknown[],
> = SessionOptions<D> & {
  /**
   * The connection's peer address, from what the runtime passes next to the request:
   * `(req, server) => server.requestIP(req)?.address` on Bun, `(req, info) =>
   * info.remoteAddr.hostname` on Deno, `(req, env) => env.incoming.socket.remoteAddress` on
   * @hono/node-server. `trustProxy` decides whether X-Forwarded-For is walked past it.
   * @default none: no peer address (X-Forwarded-For only as far as `trustProxy` trusts it)
   */
  readonly clientIp?: (request: Request, ...rest: A) => string | null | undefined;
};

/** The wrapped handler, with the manager behind it (admin API: list/revoke a user's sessions). */
export type SessionWrapped<D extends SessionData, A extends unknown[]> = ((
  request: Request,
  ...rest: A
) => Promise<Response>) & { readonly manager: SessionManager<D> };

// A symbol-keyed property on the Request, not a WeakMap: the session reaches back to its
// request, and such a WeakMap entry is an ephemeron the GC re-walks (core adapter-options.ts).
// Symbol.for: a second copy of this package must find what the first one set.
const SESSION = Symbol.for('tessera.web.session');

/**
 * The session `withSession` loaded for this request (the same object the handler got as its
 * second argument). Throws when no `withSession` wraps the code that calls it.
 */
export function getSession<D extends SessionData = SessionData>(request: Request): Session<D> {
  const session = (request as unknown as Record<symbol, Session<D> | undefined>)[SESSION];
  if (session === undefined) {
    throw new Error(
      '[tessera] [web] getSession(request): no withSession() wraps the handler of this request.',
    );
  }
  return session;
}

export function withSession<D extends SessionData = SessionData, A extends unknown[] = unknown[]>(
  handler: SessionHandler<D, A>,
  options: WebSessionOptions<D, A>,
): SessionWrapped<D, A> {
  const { manager, trust } = resolveSessionOptions<D>(options);
  const clientIp = options.clientIp;
  const exempt = csrfSkip.tagged(handler);
  const wrapped = async (request: Request, ...rest: A): Promise<Response> => {
    let rs: Awaited<ReturnType<SessionManager<D>['begin']>>;
    const web = new WebRequest(request, clientIp?.(request, ...rest), trust);
    try {
      rs = await manager.begin(web);
    } catch (error) {
      if (isSessionError(error)) return json(httpStatusOf(error.code), errorBodyOf(error));
      throw error;
    }
    // A clone's body is a tee of the original's: the handler can still read the request.
    const form: CsrfFormSource = { read: () => request.clone().arrayBuffer() };
    // `ip`: the client IP as resolved here, for loginThrottle().
    const entry = { verifyCsrf: () => rs.verifyCsrf(form), csrfEnforced: false, manager, ip: web.ip };
    adapterEntry.set(request, entry);
    (request as unknown as Record<symbol, Session<D>>)[SESSION] = rs.session;
    if (manager.policy.csrf.enabled) {
      const checked = enforceCsrf(rs, form, () => exempt || csrfSkip.marked(request));
      const result: CsrfResult = checked instanceof Promise ? await checked : checked;
      // Nothing changed, so the commit only sends what loading left (a dead cookie's clearing).
      if (!result.ok) return withHeaders(json(403, { error: 'csrf' }), await rs.commit());
      entry.csrfEnforced = true;
    }
    let res: Response;
    try {
      res = await handler(request, rs.session, ...rest);
    } catch (error) {
      // Any other error goes to the runtime (its 500, Next's error page) uncommitted: there
      // is no response to carry a cookie. A SessionError answers its own status, committed.
      if (!isSessionError(error)) throw error;
      res = json(httpStatusOf(error.code), errorBodyOf(error));
    }
    try {
      // A read has nothing to write: no wait, no async hop.
      return withHeaders(res, rs.commitIfClean() ?? (await rs.commit()));
    } catch (error) {
      if (!isSessionError(error)) throw error;
      discard(res);
      return json(httpStatusOf(error.code), errorBodyOf(error));
    }
  };
  return Object.assign(wrapped, { manager });
}
