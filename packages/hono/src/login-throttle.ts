/**
 * Brute-force protection for a login route: `loginThrottle(throttle, { account })` checks the
 * attempt before the handler (429 `{ error: 'too_many_attempts' }` with `Retry-After`), and
 * `loginAttempt(c)` hands the handler the attempt to record. Mount after `session()`: the
 * client IP is the one the session middleware resolved (its `trustProxy`). The logic is the core's.
 */
import {
  adapterEntry,
  errorBodyOf,
  httpStatusOf,
  isSessionError,
  type LoginAttempt,
  type LoginThrottle,
  type LoginThrottleGuardOptions,
  loginAttempts,
  loginThrottleStep,
  type SessionData,
  validateLoginThrottleGuard,
} from '@tessera/session-core';
import type { Context, MiddlewareHandler } from 'hono';
import { json } from './internal/json.js';
import type { SessionEnv } from './session.js';

/** `account` gets the Context: read the name from the body (`(await c.req.json()).username`). */
export function loginThrottle<D extends SessionData = SessionData>(
  throttle: LoginThrottle,
  options: LoginThrottleGuardOptions<Context<SessionEnv<D>>>,
): MiddlewareHandler<SessionEnv<D>> {
  validateLoginThrottleGuard(throttle, options);
  return async (c, next) => {
    let step: Awaited<ReturnType<typeof loginThrottleStep>>;
    try {
      step = await loginThrottleStep(throttle, adapterEntry.get(c), c, options);
    } catch (error) {
      // The store failed: fail closed with its 503, before any password is checked.
      if (isSessionError(error)) return json(httpStatusOf(error.code), errorBodyOf(error));
      throw error;
    }
    if (!step.ok) {
      const res = json(httpStatusOf(step.error.code), errorBodyOf(step.error));
      res.headers.set('retry-after', step.retryAfter);
      return res;
    }
    loginAttempts.set(c, step.attempt);
    await next();
  };
}

/** The attempt `loginThrottle()` let through: `await loginAttempt(c).failed()` or `.succeeded()`. */
export function loginAttempt(c: Context): LoginAttempt {
  return loginAttempts.get(c);
}
