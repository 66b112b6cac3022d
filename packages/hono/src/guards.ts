/**
 * Route guards: `csrf()` for unsafe methods and `requireAuth()` for signed-in routes. Both
 * defer to the core (the same checks in every adapter) and answer JSON errors, never stacks.
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
import type { MiddlewareHandler } from 'hono';
import { json } from './internal/json.js';
import type { SessionEnv } from './session.js';

/**
 * The CSRF check as a route middleware, for apps that turned the session middleware's own
 * check off (`csrf: { enabled: false }`): refuses unsafe requests that are cross-site or lack
 * the session's token (header `x-csrf-token`, or the `_csrf` field of a form body of at most
 * `csrf.maxFormBytes`): 403 `{ error: 'csrf' }`. Where the middleware already checked, it
 * passes.
 */
export function csrf<D extends SessionData = SessionData>(): MiddlewareHandler<SessionEnv<D>> {
  return async (c, next) => {
    const entry = adapterEntry.get(c);
    if (!entry) throw adapterEntry.missing('csrf');
    if (!entry.csrfEnforced) {
      const result = await entry.verifyCsrf();
      if (!result.ok) return json(403, { error: 'csrf' });
    }
    await next();
  };
}

/**
 * Exempt a route from the session middleware's CSRF check (a webhook that authenticates by
 * its own signature). On the route itself (`app.post('/hook', skipCsrf(), handler)`: the
 * middleware finds it among the matched handlers before any of them runs), or before
 * `session()` for a path (`app.use('/hooks/*', skipCsrf())`).
 */
export function skipCsrf<D extends SessionData = SessionData>(): MiddlewareHandler<SessionEnv<D>> {
  return csrfSkip.tag<MiddlewareHandler<SessionEnv<D>>>(async (c, next) => {
    csrfSkip.mark(c);
    await next();
  });
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
    const refusal = await authRefusal(adapterEntry.get(c), c.get('session'), options);
    if (refusal) return json(httpStatusOf(refusal.code), errorBodyOf(refusal));
    await next();
  };
}
