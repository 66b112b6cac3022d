import type { CsrfResult, SessionManager } from '@tessera/session-core';

/** What `csrf()` and `requireAuth()` need from the session middleware, per request. */
export interface Entry {
  checkCsrf(formToken?: string | null): CsrfResult;
  readonly manager: Pick<SessionManager, 'now' | 'policy'>;
}

// A symbol-keyed property on the request's request, invisible to the app. Not a WeakMap: a
// WeakMap entry whose value (closures over the request session) reaches back to its key is
// an ephemeron V8 re-walks in every GC, which measured 30-40 µs per request under load.
const ENTRY = Symbol('tessera.session');

export const registry = {
  get(owner: object): Entry | undefined {
    return (owner as unknown as Record<symbol, Entry | undefined>)[ENTRY];
  },
  set(owner: object, entry: Entry): void {
    (owner as unknown as Record<symbol, Entry>)[ENTRY] = entry;
  },
};

export function missing(what: string): Error {
  return new Error(`[tessera] ${what}() needs the session() middleware to run first on this route.`);
}
