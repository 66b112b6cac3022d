/**
 * `readSession(manager, cookies)`: the session of the current request, read only, for code
 * that has no `Request` and cannot set a cookie: Next.js server components (and server actions
 * that only read, or change the store through the manager's admin API). Structural: it takes
 * anything shaped like Next's `await cookies()` and `await headers()`, and imports no `next`.
 */
import {
  resolveClientIp,
  type Session,
  type SessionData,
  type SessionManager,
  type SessionRequest,
  type TrustProxy,
  validateTrustProxy,
} from '@tessera/session-core';

/** What `readSession` reads of a cookie store: Next's `await cookies()` is one. */
export interface CookieSource {
  get(name: string): { readonly value: string } | undefined;
}

/** What `readSession` reads of the request headers: Next's `await headers()` is one. */
export interface HeaderSource {
  get(name: string): string | null;
}

export interface ReadSessionOptions {
  /**
   * The request headers (`await headers()` in Next.js). The session's client binding compares
   * the User-Agent (and the IP, from X-Forwarded-For as far as `trustProxy` trusts it) with the
   * ones it recorded: pass them, or a session bound with `clientBinding: 'reject'` reads as ended.
   * @default none: no User-Agent, no IP
   */
  readonly headers?: HeaderSource;
  /** As in `withSession`: pass the same value, so both see the same client IP. @default false */
  readonly trustProxy?: TrustProxy;
}

/**
 * What a reader may do with the session: its state, its data, and the user's device list.
 * `csrfToken` is the live session's token (for forms and `x-csrf-token`), null without one: a
 * login form's pre-session token needs a cookie, which only a route handler can set.
 */
export type SessionView<D extends SessionData = SessionData> = Pick<
  Session<D>,
  (typeof STATE)[number] | 'get' | 'has' | 'keys' | 'toJSON' | 'listSessions'
> & { readonly csrfToken: string | null };

/** The view's read-only properties, each read through to the loaded session. */
const STATE = [
  'handle',
  'authenticated',
  'userId',
  'createdAt',
  'lastSeenAt',
  'expiresAt',
  'absoluteExpiresAt',
  'authenticatedAt',
  'endedReason',
] as const satisfies readonly (keyof Session)[];

/** The request as the core sees it: a GET with the session cookie and, when given, the headers. */
class ReadRequest implements SessionRequest {
  readonly method = 'GET';
  readonly ip: string | null;
  readonly #cookie: string | null;
  readonly #headers: HeaderSource | undefined;

  constructor(cookie: string | null, headers: HeaderSource | undefined, trust: TrustProxy) {
    this.#cookie = cookie;
    this.#headers = headers;
    const ip = resolveClientIp(undefined, headers?.get('x-forwarded-for') ?? null, trust);
    this.ip = ip === '' ? null : ip;
  }

  header(name: string): string | null {
    // Only the session cookie: the pre-session cookie is a route handler's business.
    if (name === 'cookie') return this.#cookie;
    return this.#headers?.get(name) ?? null;
  }
}

/**
 * The session of this request, loaded in one store call (none without a cookie), read only:
 * nothing is written and no cookie is set, so reading never extends the idle timeout and an
 * expired session is only cleared by the next route handler. Rejects with
 * `SessionError('store_unavailable')` (503) when the store is down or slow.
 *
 * Next.js: `readSession(manager, await cookies(), { headers: await headers() })`.
 */
export async function readSession<D extends SessionData = SessionData>(
  manager: SessionManager<D>,
  cookies: CookieSource,
  options: ReadSessionOptions = {},
): Promise<SessionView<D>> {
  const trust = options.trustProxy ?? false;
  validateTrustProxy(trust);
  const name = manager.cookieName;
  const value = cookies.get(name)?.value;
  const cookie = value === undefined ? null : `${name}=${value}`;
  const rs = await manager.begin(new ReadRequest(cookie, options.headers, trust));
  // A new object, not the RequestSession: a reader cannot reach set(), login() or commit().
  const view = {
    // Without a live session the getter would mint a pre-session cookie nobody can set.
    get csrfToken() {
      return rs.handle === null ? null : rs.csrfToken;
    },
    get: (key) => rs.get(key),
    has: (key) => rs.has(key),
    keys: () => rs.keys(),
    toJSON: () => rs.toJSON(),
    listSessions: () => rs.listSessions(),
  } as SessionView<D>;
  for (const name of STATE) Object.defineProperty(view, name, { get: () => rs[name], enumerable: true });
  return view;
}
