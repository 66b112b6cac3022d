import type { CsrfResult } from '@tessera/session-core';
import type { Context } from 'hono';

/** What `csrf()` and `requireAuth()` need from the session middleware, per request. */
export interface Entry {
  checkCsrf(formToken?: string | null): CsrfResult;
  now(): number;
  readonly fieldName: string;
}

// A symbol-keyed property on the request's Context, invisible to the app. Not a WeakMap: a
// WeakMap entry whose value (closures over the request session) reaches back to its key is
// an ephemeron V8 re-walks in every GC, which measured 30-40 µs per request under load.
const ENTRY = Symbol('tessera.session');

export const registry = {
  get(owner: Context): Entry | undefined {
    return (owner as unknown as Record<symbol, Entry | undefined>)[ENTRY];
  },
  set(owner: Context, entry: Entry): void {
    (owner as unknown as Record<symbol, Entry>)[ENTRY] = entry;
  },
};

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

export function missing(what: string): Error {
  return new Error(`[tessera] ${what}() needs the session() middleware to run first on this route.`);
}
