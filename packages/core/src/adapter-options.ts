/**
 * What every adapter accepts: the manager's options (a manager is built once) or a manager
 * the app built and shares, plus how far to trust X-Forwarded-For. Resolved once, at start-up.
 */
import type { CsrfResult } from './csrf.js';
import type { CsrfFormSource } from './csrf-form.js';
import { isSessionError, type SessionError } from './errors.js';
import { assertAuthorized, type RequireAuthOptions } from './guard.js';
import { createSessionManager, type SessionManager, type SessionManagerOptions } from './manager.js';
import { type TrustProxy, validateTrustProxy } from './proxy.js';
import type { RequestSession } from './request.js';
import type { Session, SessionData } from './session.js';

export interface AdapterOptions {
  /**
   * Trust X-Forwarded-For from this many proxy hops, or from peers the function accepts.
   * Independent of the framework's own proxy setting. @default false (the socket peer is the client)
   */
  readonly trustProxy?: TrustProxy;
}

/** Manager options, or `{ manager }` to share one manager (and its admin API) between apps. */
export type SessionOptions<D extends SessionData = SessionData> = AdapterOptions &
  (SessionManagerOptions | { readonly manager: SessionManager<D> });

export function resolveSessionOptions<D extends SessionData = SessionData>(
  options: SessionOptions<D>,
): { readonly manager: SessionManager<D>; readonly trust: TrustProxy } {
  const manager = 'manager' in options ? options.manager : createSessionManager<D>(options);
  return { manager, trust: validateTrustProxy(options.trustProxy) };
}

/** What an adapter's guards (`csrf()`, `requireAuth()`) need from its session middleware. */
export interface AdapterEntry {
  /** This request's CSRF check, reading a bounded form body the framework's way. */
  verifyCsrf(): CsrfResult | Promise<CsrfResult>;
  /** True once the session middleware itself enforced CSRF on this request (passed or skipped). */
  readonly csrfEnforced: boolean;
  readonly manager: Pick<SessionManager, 'now' | 'policy'>;
  /**
   * The client IP as the session middleware resolved it (`trustProxy`), or null when unknown.
   * Needed by `loginThrottle()`; an adapter without it (undefined) cannot offer that guard.
   */
  readonly ip?: string | null;
}

const PASS: CsrfResult = Object.freeze({ ok: true });

/**
 * The `requireAuth()` step of every adapter: the SessionError that refuses this request
 * (401 `unauthenticated` / `reauthentication_required`, 403 `forbidden`), or null to let it
 * through. Throws when the session middleware did not run first; other errors (a throwing
 * `check`) propagate to the framework.
 */
export async function authRefusal<D>(
  entry: AdapterEntry | undefined,
  session: Session<D>,
  options: RequireAuthOptions<D>,
): Promise<SessionError | null> {
  if (!entry) throw adapterEntry.missing('requireAuth');
  try {
    await assertAuthorized(session, options, entry.manager.now());
    return null;
  } catch (error) {
    if (isSessionError(error)) return error;
    throw error;
  }
}

/**
 * The session middleware's own CSRF step, the same in every adapter: safe methods and valid
 * requests pass without reading any body; a failing request passes only when `skipped()`
 * (the route's `skipCsrf()`); a missing token is looked for in a bounded form body. Answers
 * synchronously unless a body must be read. The adapter answers a failure with 403
 * `{ error: 'csrf' }` before the handler runs.
 */
export function enforceCsrf(
  rs: Pick<RequestSession, 'checkCsrf' | 'verifyCsrf'>,
  form: CsrfFormSource,
  skipped: () => boolean,
): CsrfResult | Promise<CsrfResult> {
  const first = rs.checkCsrf();
  if (first.ok) return first;
  if (skipped()) return PASS;
  return first.reason === 'missing' ? rs.verifyCsrf(form) : first;
}

// Symbol.for: a second copy of the core (two versions installed side by side) must still see
// the mark the app's copy of the adapter set.
const SKIP = Symbol.for('tessera.skipCsrf');

/** How `skipCsrf()` marks a request (or a route handler) as exempt from the CSRF check. */
export const csrfSkip = {
  /** Mark this request (its framework object: Hono Context, Express req, Koa ctx). */
  mark(owner: object): void {
    (owner as Record<symbol, boolean>)[SKIP] = true;
  },
  marked(owner: object | null | undefined): boolean {
    return owner ? (owner as Record<symbol, boolean | undefined>)[SKIP] === true : false;
  },
  /** Tag a middleware as the skip marker, so a router that lists a route's handlers can find it. */
  tag<F extends object>(fn: F): F {
    (fn as Record<symbol, boolean>)[SKIP] = true;
    return fn;
  },
  tagged(fn: unknown): boolean {
    return typeof fn === 'function' && (fn as unknown as Record<symbol, boolean | undefined>)[SKIP] === true;
  },
};

// A symbol-keyed property on the framework's per-request object (Hono Context, Koa context)
// or on the request's session (Express), invisible to the app. Not a WeakMap: an entry whose value (closures over
// the request session) reaches back to its key is an ephemeron V8 re-walks in every GC, which
// measured 30-40 µs per request under load. Symbol.for, like SKIP: an adapter that resolved its
// own copy of the core sets the entry its guards (from another copy) must find.
const ENTRY = Symbol.for('tessera.session.entry');

/** Where adapters keep their per-request entry; shared so every adapter does it the same way. */
export const adapterEntry = {
  get(owner: object | null | undefined): AdapterEntry | undefined {
    return owner ? (owner as Record<symbol, AdapterEntry | undefined>)[ENTRY] : undefined;
  },
  set(owner: object, entry: AdapterEntry): void {
    (owner as Record<symbol, AdapterEntry>)[ENTRY] = entry;
  },
  /** The error a guard throws when the session middleware did not run before it. */
  missing(guard: string): Error {
    return new Error(`[tessera] ${guard}() needs the session() middleware to run first on this route.`);
  },
};
