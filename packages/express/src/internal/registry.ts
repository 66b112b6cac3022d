import type { CsrfResult, SessionManager } from '@tessera/session-core';

/** What `csrf()` and `requireAuth()` need from the session middleware, per request. */
export interface Entry {
  checkCsrf(formToken?: string | null): CsrfResult;
  readonly manager: Pick<SessionManager, 'now' | 'policy'>;
}

// Keyed by the request: nothing extra shows on `req`, and it is collected with it.
export const registry = new WeakMap<object, Entry>();

export function missing(what: string): Error {
  return new Error(`[tessera] ${what}() needs the session() middleware to run first on this route.`);
}
