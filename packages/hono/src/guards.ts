/**
 * Route guards: `csrf()` for unsafe methods and `requireAuth()` for signed-in routes. Both
 * defer to the core (the same checks in every adapter) and answer JSON errors, never stacks.
 */
import {
  adapterEntry,
  assertAuthorized,
  errorBodyOf,
  httpStatusOf,
  isSessionError,
  type RequireAuthOptions,
  type SessionData,
  validateRequireAuth,
} from '@tessera/session-core';
import type { MiddlewareHandler } from 'hono';
import { json } from './internal/json.js';
import type { SessionEnv } from './session.js';

const FORM_RE = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

/**
 * Refuse unsafe requests that are cross-site or lack the session's CSRF token (header
 * `x-csrf-token`, or the `_csrf` field of a form body): 403 `{ error: 'csrf' }`. Form bodies
 * are read with `c.req.parseBody()`, which Hono caches, so the handler can still read them.
 */
export function csrf<D extends SessionData = SessionData>(): MiddlewareHandler<SessionEnv<D>> {
  return async (c, next) => {
    const entry = adapterEntry.get(c);
    if (!entry) throw adapterEntry.missing('csrf');
    let result = entry.checkCsrf();
    if (!result.ok && result.reason === 'missing' && FORM_RE.test(c.req.header('content-type') ?? '')) {
      const field = (await c.req.parseBody())[entry.manager.policy.csrf.fieldName];
      result = entry.checkCsrf(typeof field === 'string' ? field : null);
    }
    if (!result.ok) return json(403, { error: 'csrf' });
    await next();
  };
}

/**
 * Let only signed-in sessions through: 401 `unauthenticated`, 401 `reauthentication_required`
 * (older than `maxAuthAgeMs`), 403 `forbidden` (`check` said no).
 */
export function requireAuth<D extends SessionData = SessionData>(
  options: RequireAuthOptions<D> = {},
): MiddlewareHandler<SessionEnv<D>> {
  validateRequireAuth(options);
  return async (c, next) => {
    const entry = adapterEntry.get(c);
    if (!entry) throw adapterEntry.missing('requireAuth');
    try {
      await assertAuthorized(c.get('session'), options, entry.manager.now());
    } catch (error) {
      if (isSessionError(error)) return json(httpStatusOf(error.code), errorBodyOf(error));
      throw error;
    }
    await next();
  };
}
