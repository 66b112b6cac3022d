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
import type { Middleware } from 'koa';
import { fail } from './session.js';

/**
 * Refuse unsafe requests that are cross-site or lack the session's CSRF token (header
 * `x-csrf-token`, or the `_csrf` field of `ctx.request.body` when a body parser such as
 * `@koa/bodyparser` ran first): 403 `{ error: 'csrf' }`.
 */
export function csrf(): Middleware {
  return async (ctx, next) => {
    const entry = adapterEntry.get(ctx);
    if (!entry) throw adapterEntry.missing('csrf');
    const body = (ctx.request as { body?: unknown }).body;
    const field =
      body && typeof body === 'object'
        ? (body as Record<string, unknown>)[entry.manager.policy.csrf.fieldName]
        : undefined;
    const result = entry.checkCsrf(typeof field === 'string' ? field : null);
    if (!result.ok) return fail(ctx, new SessionError('csrf', `request refused: ${result.reason}.`));
    await next();
  };
}

/**
 * Let only signed-in sessions through: 401 `unauthenticated`, 401 `reauthentication_required`
 * (older than `maxAuthAgeMs`), 403 `forbidden` (`check` said no).
 */
export function requireAuth(options: RequireAuthOptions<SessionData> = {}): Middleware {
  validateRequireAuth(options);
  return async (ctx, next) => {
    const entry = adapterEntry.get(ctx);
    if (!entry) throw adapterEntry.missing('requireAuth');
    try {
      await assertAuthorized(ctx.session, options, entry.manager.now());
    } catch (error) {
      if (!isSessionError(error)) throw error;
      return fail(ctx, error);
    }
    await next();
  };
}
