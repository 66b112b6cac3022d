/**
 * What every adapter accepts: the manager's options (a manager is built once) or a manager
 * the app built and shares, plus how far to trust X-Forwarded-For. Resolved once, at start-up.
 */
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
