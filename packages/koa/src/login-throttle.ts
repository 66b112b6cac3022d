/**
 * Brute-force protection for a login route: `loginThrottle(throttle, { account })` checks the
 * attempt before the handler (429 `{ error: 'too_many_attempts' }` with `Retry-After`), and
 * `loginAttempt(ctx)` hands the handler the attempt to record. Mount after `session()` and your
 * body parser: the client IP is the one the session middleware resolved (its `trustProxy`).
 */
import {
  adapterEntry,
  isSessionError,
  type LoginAttempt,
  type LoginThrottle,
  type LoginThrottleGuardOptions,
  loginAttempts,
  loginThrottleStep,
  validateLoginThrottleGuard,
} from '@tessera/session-core';
import type { Context, Middleware } from 'koa';
import { fail } from './session.js';

/** `account` gets the Koa context: `(ctx) => ctx.request.body?.username`. */
export function loginThrottle(
  throttle: LoginThrottle,
  options: LoginThrottleGuardOptions<Context>,
): Middleware {
  validateLoginThrottleGuard(throttle, options);
  return async (ctx, next) => {
    let step: Awaited<ReturnType<typeof loginThrottleStep>>;
    try {
      step = await loginThrottleStep(throttle, adapterEntry.get(ctx), ctx, options);
    } catch (error) {
      // The store failed: fail closed with its 503, before any password is checked.
      if (!isSessionError(error)) throw error;
      return fail(ctx, error);
    }
    if (!step.ok) {
      ctx.set('retry-after', step.retryAfter);
      return fail(ctx, step.error);
    }
    loginAttempts.set(ctx, step.attempt);
    await next();
  };
}

/** The attempt `loginThrottle()` let through: `await loginAttempt(ctx).failed()` or `.succeeded()`. */
export function loginAttempt(ctx: Context): LoginAttempt {
  return loginAttempts.get(ctx);
}
