/**
 * Brute-force protection for a login route: `loginThrottle(throttle, { account })` checks the
 * attempt before the handler (429 `{ error: 'too_many_attempts' }` with `Retry-After`, 503 when
 * the store is down), and `loginAttempt(c)` hands the handler the attempt to record. Mount after
 * `session()`: the client IP is the one the session middleware resolved (its `trustProxy`).
 * The logic is the core's `loginGuard`.
 */
import {
  adapterEntry,
  errorBodyOf,
  httpStatusOf,
  type LoginAttempt,
  type LoginThrottle,
  type LoginThrottleGuardOptions,
  loginGuard,
  type SessionData,
} from '@tessera/session-core';
import type { Context, MiddlewareHandler } from 'hono';
import { json } from './internal/json.js';
import type { SessionEnv } from './session.js';

/** `account` gets the Context: read the name from the body (`(await c.req.json()).username`). */
export function loginThrottle<D extends SessionData = SessionData>(
  throttle: LoginThrottle,
  options: LoginThrottleGuardOptions<Context<SessionEnv<D>>>,
): MiddlewareHandler<SessionEnv<D>> {
  loginGuard.validate(throttle, options);
  return async (c, next) => {
    const answer = await loginGuard.check(throttle, adapterEntry.get(c), c, c, options);
    if (answer.ok) return next();
    const res = json(httpStatusOf(answer.error.code), errorBodyOf(answer.error));
    if (answer.retryAfter) res.headers.set('retry-after', answer.retryAfter);
    return res;
  };
}

/** The attempt `loginThrottle()` let through: `await loginAttempt(c).failed()` or `.succeeded()`. */
export function loginAttempt(c: Context): LoginAttempt {
  return loginGuard.attemptOf(c);
}
