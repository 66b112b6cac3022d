/**
 * Brute-force protection for a login route: `loginThrottle(throttle, { account })` checks the
 * attempt before the handler (429 `{ error: 'too_many_attempts' }` with `Retry-After`, 503 when
 * the store is down), and `loginAttempt(req)` hands the handler the attempt to record. Mount
 * after `session()` and `express.json()`: the client IP is the one the session middleware
 * resolved (its `trustProxy`). The logic is the core's `loginGuard`.
 */
import {
  adapterEntry,
  type LoginAttempt,
  type LoginThrottle,
  type LoginThrottleGuardOptions,
  loginGuard,
} from '@tessera/session-core';
import { sendSessionError as send } from '@tessera/session-core/node';
import type { Request, RequestHandler } from 'express';

/** `account` gets the request: `(req) => req.body?.username`. */
export function loginThrottle(
  throttle: LoginThrottle,
  options: LoginThrottleGuardOptions<Request>,
): RequestHandler {
  loginGuard.validate(throttle, options);
  return async (req, res, next) => {
    const answer = await loginGuard.check(throttle, adapterEntry.get(req.session), req, req, options);
    if (answer.ok) return next();
    if (answer.retryAfter) res.setHeader('retry-after', answer.retryAfter);
    send(res, answer.error);
  };
}

/** The attempt `loginThrottle()` let through: `await loginAttempt(req).failed()` or `.succeeded()`. */
export function loginAttempt(req: Request): LoginAttempt {
  return loginGuard.attemptOf(req);
}
