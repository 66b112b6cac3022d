/**
 * Route guards: `csrf()` for unsafe methods and `requireAuth()` for signed-in routes. Both
 * defer to the core (the same checks in every adapter) and answer JSON errors, never stacks.
 */
import {
  adapterEntry,
  authRefusal,
  csrfSkip,
  type RequireAuthOptions,
  type SessionData,
  SessionError,
  validateRequireAuth,
} from '@tessera/session-core';
import { sendSessionError as send } from '@tessera/session-core/node';
import type { RequestHandler } from 'express';

/**
 * The CSRF check as a route middleware, for apps that turned the session middleware's own
 * check off (`csrf: { enabled: false }`): refuses unsafe requests that are cross-site or lack
 * the session's token (header `x-csrf-token`, or the `_csrf` field of `req.body` or of a form
 * body of at most `csrf.maxFormBytes`): 403 `{ error: 'csrf' }`. Where the middleware
 * already checked, it passes.
 */
export function csrf(): RequestHandler {
  return async (req, res, next) => {
    const entry = adapterEntry.get(req.session);
    if (!entry) throw adapterEntry.missing('csrf');
    if (!entry.csrfEnforced) {
      const result = await entry.verifyCsrf();
      if (!result.ok) return send(res, new SessionError('csrf', `request refused: ${result.reason}.`));
    }
    next();
  };
}

/**
 * Exempt requests from the session middleware's CSRF check (a webhook that authenticates by
 * its own signature). Express runs `session()` before it routes, so mount this BEFORE
 * `session()`, on the paths it exempts: `app.use('/webhooks', skipCsrf())`.
 */
export function skipCsrf(): RequestHandler {
  return (req, _res, next) => {
    csrfSkip.mark(req);
    next();
  };
}

/**
 * Let only signed-in sessions through: 401 `unauthenticated`, 401 `reauthentication_required`
 * (older than `maxAuthAgeMs`), 403 `forbidden` (`check` said no).
 */
export function requireAuth(options: RequireAuthOptions<SessionData> = {}): RequestHandler {
  validateRequireAuth(options);
  return async (req, res, next) => {
    const refusal = await authRefusal(adapterEntry.get(req.session), req.session, options);
    if (refusal) return send(res, refusal);
    next();
  };
}
