/**
 * Guards for handlers under `withSession`: `requireAuth()` as a wrapper or a check,
 * `skipCsrf()` for a handler that authenticates otherwise, `checkCsrf()` for apps that turned
 * the wrapper's own check off. All defer to the core (the same checks as every adapter) and
 * answer JSON errors, never stacks.
 */
import {
  adapterEntry,
  authRefusal,
  csrfSkip,
  errorBodyOf,
  httpStatusOf,
  type RequireAuthOptions,
  type SessionData,
  validateRequireAuth,
} from '@tessera/session-core';
import { json } from './internal/json.js';
import { getSession, type SessionHandler } from './session.js';

/**
 * The refusal for this request, or null when it may go on: 401 `unauthenticated`, 401
 * `reauthentication_required` (signed in longer ago than `maxAuthAgeMs`), 403 `forbidden`
 * (`check` said no). For a handler that decides itself: `const no = await checkAuth(req);
 * if (no) return no;`.
 */
export async function checkAuth<D extends SessionData = SessionData>(
  request: Request,
  options: RequireAuthOptions<D> = {},
): Promise<Response | null> {
  validateRequireAuth(options);
  const entry = adapterEntry.get(request);
  if (!entry) throw adapterEntry.missing('requireAuth');
  const refusal = await authRefusal(entry, getSession<D>(request), options);
  return refusal ? json(httpStatusOf(refusal.code), errorBodyOf(refusal)) : null;
}

/** `handler`, run only for signed-in sessions (see `checkAuth` for the refusals). Inside `withSession`. */
export function requireAuth<D extends SessionData = SessionData, A extends unknown[] = unknown[]>(
  handler: SessionHandler<D, A>,
  options: RequireAuthOptions<D> = {},
): SessionHandler<D, A> {
  validateRequireAuth(options);
  const guarded: SessionHandler<D, A> = async (request, session, ...rest) =>
    (await checkAuth(request, options)) ?? handler(request, session, ...rest);
  // A guard around an exempt handler keeps the exemption.
  return csrfSkip.tagged(handler) ? csrfSkip.tag(guarded) : guarded;
}

/**
 * Exempt `handler` from `withSession`'s CSRF check (a webhook that verifies its own
 * signature): `withSession(skipCsrf(handler), options)`. A router in front of `withSession`
 * can exempt one request instead with `skipCsrfFor(request)`.
 */
export function skipCsrf<D extends SessionData = SessionData, A extends unknown[] = unknown[]>(
  handler: SessionHandler<D, A>,
): SessionHandler<D, A> {
  const exempt: SessionHandler<D, A> = (request, session, ...rest) => handler(request, session, ...rest);
  return csrfSkip.tag(exempt);
}

/** Exempt this one request from the CSRF check of the `withSession` it is then passed to. */
export function skipCsrfFor(request: Request): void {
  csrfSkip.mark(request);
}

/**
 * The CSRF check, for apps that set `csrf: { enabled: false }` and check some handlers
 * themselves: 403 `{ error: 'csrf' }` for a cross-site request or one without the session's
 * token, else null. Where `withSession` already checked, null.
 */
export async function checkCsrf(request: Request): Promise<Response | null> {
  const entry = adapterEntry.get(request);
  if (!entry) throw adapterEntry.missing('csrf');
  if (entry.csrfEnforced) return null;
  const result = await entry.verifyCsrf();
  return result.ok ? null : json(403, { error: 'csrf' });
}
