/**
 * Brute-force protection for a login route, as a `preHandler` (the body is parsed by then):
 * `loginThrottle(throttle, { account })` checks the attempt before the handler (429
 * `{ error: 'too_many_attempts' }` with `Retry-After`), and `loginAttempt(request)` hands the
 * handler the attempt to record. The client IP is the one the plugin resolved (its `trustProxy`).
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
import type { FastifyRequest } from 'fastify';
import type { SessionGuard } from './guards.js';
import { replySessionError } from './reply.js';

/** `app.post('/login', { preHandler: loginThrottle(throttle, { account: (r) => r.body.username }) }, …)`. */
export function loginThrottle(
  throttle: LoginThrottle,
  options: LoginThrottleGuardOptions<FastifyRequest>,
): SessionGuard {
  validateLoginThrottleGuard(throttle, options);
  return async (request, reply) => {
    let step: Awaited<ReturnType<typeof loginThrottleStep>>;
    try {
      step = await loginThrottleStep(throttle, adapterEntry.get(request.session), request, options);
    } catch (error) {
      // The store failed: fail closed with its 503, before any password is checked.
      if (!isSessionError(error)) throw error;
      return replySessionError(reply, error);
    }
    if (!step.ok) return replySessionError(reply.header('retry-after', step.retryAfter), step.error);
    loginAttempts.set(request, step.attempt);
    return undefined;
  };
}

/** The attempt `loginThrottle()` let through: `await loginAttempt(request).failed()` or `.succeeded()`. */
export function loginAttempt(request: FastifyRequest): LoginAttempt {
  return loginAttempts.get(request);
}
