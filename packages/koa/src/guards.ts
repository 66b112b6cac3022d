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
import type { Context, Middleware } from 'koa';
import { fail } from './session.js';

/**
 * The CSRF check as a middleware, for apps that turned the session middleware's own check
 * off (`csrf: { enabled: false }`): refuses unsafe requests that are cross-site or lack the
 * session's token (header `x-csrf-token`, or the `_csrf` field of `ctx.request.body` or of a
 * form body of at most `csrf.maxFormBytes`): 403 `{ error: 'csrf' }`. Where the middleware
 * already checked, it passes.
 */
export function csrf(): Middleware {
  return async (ctx, next) => {
    const entry = adapterEntry.get(ctx);
    if (!entry) throw adapterEntry.missing('csrf');
    if (!entry.csrfEnforced) {
      const result = await entry.verifyCsrf();
      if (!result.ok) return fail(ctx, new SessionError('csrf', `request refused: ${result.reason}.`));
    }
    await next();
  };
}

/**
 * Exempt requests from the session middleware's CSRF check (a webhook that authenticates by
 * its own signature). Koa runs `session()` before any router, so mount this BEFORE
 * `session()`; `when` picks the requests: `app.use(skipCsrf((ctx) => ctx.path.startsWith('/webhooks/')))`.
 * @param when which requests to exempt. @default every request that reaches it
 */
export function skipCsrf(when: (ctx: Context) => boolean = () => true): Middleware {
  return async (ctx, next) => {
    if (when(ctx)) csrfSkip.mark(ctx);
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
    const refusal = await authRefusal(adapterEntry.get(ctx), ctx.session, options);
    if (refusal) return fail(ctx, refusal);
    await next();
  };
}
