/**
 * Route guards: `csrf()` for unsafe methods and `requireAuth()` for signed-in routes. Both
 * defer to the core (the same checks in every adapter) and answer JSON errors, never stacks.
 */
import {
  adapterEntry,
  assertAuthorized,
  isSessionError,
  type RequireAuthOptions,
  type SessionData,
  SessionError,
  validateRequireAuth,
} from '@tessera/session-core';
import type { RequestHandler } from 'express';
import { sendSessionError as send } from './respond.js';

/**
 * Refuse unsafe requests that are cross-site or lack the session's CSRF token (header
 * `x-csrf-token`, or the `_csrf` field of `req.body` when `express.urlencoded()` or another
 * body parser ran first): 403 `{ error: 'csrf' }`.
 */
export function csrf(): RequestHandler {
  return (req, res, next) => {
    const entry = adapterEntry.get(req.session);
    if (!entry) throw adapterEntry.missing('csrf');
    const body: unknown = req.body;
    const field =
      body && typeof body === 'object'
        ? (body as Record<string, unknown>)[entry.manager.policy.csrf.fieldName]
        : undefined;
    const result = entry.checkCsrf(typeof field === 'string' ? field : null);
    if (!result.ok) return send(res, new SessionError('csrf', `request refused: ${result.reason}.`));
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
    const entry = adapterEntry.get(req.session);
    if (!entry) throw adapterEntry.missing('requireAuth');
    try {
      await assertAuthorized(req.session, options, entry.manager.now());
    } catch (error) {
      if (!isSessionError(error)) throw error;
      return send(res, error);
    }
    next();
  };
}
