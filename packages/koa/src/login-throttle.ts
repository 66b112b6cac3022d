/**
 * Brute-force protection for a login route: `loginThrottle(throttle, { account })` checks the
 * attempt before the next middleware (429 `{ error: 'too_many_attempts' }` with `Retry-After`,
 * 503 when the store is down), and `loginAttempt(ctx)` hands the handler the attempt to record.
 * Mount after `session()` and your body parser: the client IP is the one the session middleware
 * resolved (its `trustProxy`). The logic is the core's `loginGuard`.
 */
import {
  adapterEntry,
  type LoginAttempt,
  type LoginThrottle,
  type LoginThrottleGuardOptions,
  loginGuard,
} from '@tessera/session-core';
import type { Context, Middleware } from 'koa';
import { fail } from './session.js';

/** `account` gets the Koa context: `(ctx) => ctx.request.body?.username`. */
export function loginThrottle(
  throttle: LoginThrottle,
  options: LoginThrottleGuardOptions<Context>,
): Middleware {
  loginGuard.validate(throttle, options);
  return async (ctx, next) => {
    const answer = await loginGuard.check(throttle, adapterEntry.get(ctx), ctx, ctx, options);
    if (answer.ok) return next();
    if (answer.retryAfter) ctx.set('retry-after', answer.retryAfter);
    fail(ctx, answer.error);
  };
}

/** The attempt `loginThrottle()` let through: `await loginAttempt(ctx).failed()` or `.succeeded()`. */
export function loginAttempt(ctx: Context): LoginAttempt {
  return loginGuard.attemptOf(ctx);
}
