/**
 * Brute-force protection for a login route: `loginThrottle(throttle, { account })` checks the
 * attempt before the handler (429 `{ error: 'too_many_attempts' }` with `Retry-After`), and
 * `loginAttempt(req)` hands the handler the attempt to record. Mount after `session()` and
 * `express.json()`: the client IP is the one the session middleware resolved (its `trustProxy`).
 */
import {
  adapterEntry,
  type LoginAttempt,
  type LoginThrottle,
  type LoginThrottleGuardOptions,
  loginAttempts,
  loginThrottleStep,
  validateLoginThrottleGuard,
} from '@tessera/session-core';
import { sendSessionError as send } from '@tessera/session-core/node';
import type { Request, RequestHandler } from 'express';

/** `account` gets the request: `(req) => req.body?.username`. */
export function loginThrottle(
  throttle: LoginThrottle,
  options: LoginThrottleGuardOptions<Request>,
): RequestHandler {
  validateLoginThrottleGuard(throttle, options);
  return async (req, res, next) => {
    // A store failure rejects with store_unavailable: Express 5 hands it to sessionErrorHandler (503).
    const step = await loginThrottleStep(throttle, adapterEntry.get(req.session), req, options);
    if (!step.ok) {
      res.setHeader('retry-after', step.retryAfter);
      return send(res, step.error);
    }
    loginAttempts.set(req, step.attempt);
    next();
  };
}

/** The attempt `loginThrottle()` let through: `await loginAttempt(req).failed()` or `.succeeded()`. */
export function loginAttempt(req: Request): LoginAttempt {
  return loginAttempts.get(req);
}
