/**
 * What every adapter accepts: the manager's options (a manager is built once) or a manager
 * the app built and shares, plus how far to trust X-Forwarded-For. Resolved once, at start-up.
 */
import type { CsrfResult } from './csrf.js';
import { createSessionManager, type SessionManager, type SessionManagerOptions } from './manager.js';
import { type TrustProxy, validateTrustProxy } from './proxy.js';
import type { SessionData } from './session.js';

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
  checkCsrf(formToken?: string | null): CsrfResult;
  readonly manager: Pick<SessionManager, 'now' | 'policy'>;
}

// A symbol-keyed property on the framework's per-request object (Hono Context, Koa context)
// or on the request's session (Express), invisible to the app. Not a WeakMap: an entry whose value (closures over
// the request session) reaches back to its key is an ephemeron V8 re-walks in every GC, which
// measured 30-40 µs per request under load.
const ENTRY = Symbol('tessera.session');

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
