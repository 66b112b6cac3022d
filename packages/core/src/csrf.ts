/**
 * CSRF: a synchronizer token bound to the session (derived from its sid, so it costs no
 * storage and changes with every rotation), a pre-session token for login forms (a random
 * `__Host-` cookie, rotated at login), and a Fetch Metadata / Origin check that refuses
 * cross-site unsafe requests before any token is compared.
 */
import { timingSafeEqualString } from './internal/bytes.js';
import type { ResolvedCsrf } from './policy.js';

export type CsrfFailure = 'cross-site' | 'origin' | 'missing' | 'mismatch';
export type CsrfResult = { readonly ok: true } | { readonly ok: false; readonly reason: CsrfFailure };

// TRACE is safe by RFC 9110 but no app needs it with a session; it is checked like POST.
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const OK: CsrfResult = Object.freeze({ ok: true });

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

export interface OriginFacts {
  readonly secFetchSite: string | null | undefined;
  readonly origin: string | null | undefined;
  /** The request's own origin, e.g. `https://app.example.com`, when the adapter knows it. */
  readonly selfOrigin: string | null | undefined;
}

/** Fetch Metadata first (browsers that send it), then Origin. No header at all passes to the token check. */
export function checkOrigin(facts: OriginFacts, csrf: ResolvedCsrf): CsrfResult {
  const site = facts.secFetchSite?.toLowerCase();
  if (site) {
    if (site === 'same-origin' || site === 'none') return OK;
    if (site === 'same-site' && csrf.allowSameSite) return OK;
    return { ok: false, reason: 'cross-site' };
  }
  const origin = facts.origin?.toLowerCase();
  if (origin) {
    if (origin === 'null') return { ok: false, reason: 'origin' };
    if (facts.selfOrigin && origin === facts.selfOrigin.toLowerCase()) return OK;
    if (csrf.trustedOrigins.includes(origin)) return OK;
    return { ok: false, reason: 'origin' };
  }
  return OK;
}

/** Compare a submitted token against every acceptable one, each in constant time. */
export function checkToken(submitted: string | null | undefined, expected: readonly string[]): CsrfResult {
  if (typeof submitted !== 'string' || submitted.length === 0) return { ok: false, reason: 'missing' };
  let match = false;
  for (const token of expected) match = timingSafeEqualString(submitted, token) || match;
  return match ? OK : { ok: false, reason: 'mismatch' };
}
