import type { CsrfResult } from '@tessera/session-core';
import type { Context } from 'hono';

/** What `csrf()` and `requireAuth()` need from the session middleware, per request. */
export interface Entry {
  checkCsrf(formToken?: string | null): CsrfResult;
  now(): number;
  readonly fieldName: string;
}

// Keyed by the request's Context: nothing extra is exposed on `c.var`, and it is collected with it.
export const registry = new WeakMap<Context, Entry>();

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

export function missing(what: string): Error {
  return new Error(`[tessera] ${what}() needs the session() middleware to run first on this route.`);
}
