/**
 * Brute-force protection for a login route, as a `preHandler` (the body is parsed by then):
 * `loginThrottle(throttle, { account })` checks the attempt before the handler (429
 * `{ error: 'too_many_attempts' }` with `Retry-After`, 503 when the store is down), and
 * `loginAttempt(request)` hands the handler the attempt to record. The client IP is the one the
 * plugin resolved (its `trustProxy`). The logic is the core's `loginGuard`.
 */
import {
  adapterEntry,
  type LoginAttempt,
  type LoginThrottle,
  type LoginThrottleGuardOptions,
  loginGuard,
} from '@tessera/session-core';
import type { FastifyRequest } from 'fastify';
import type { SessionGuard } from './guards.js';
import { replySessionError } from './reply.js';

/** `app.post('/login', { preHandler: loginThrottle(throttle, { account: (r) => r.body.username }) }, …)`. */
export function loginThrottle(
  throttle: LoginThrottle,
  options: LoginThrottleGuardOptions<FastifyRequest>,
): SessionGuard {
  loginGuard.validate(throttle, options);
  return async (request, reply) => {
    const answer = await loginGuard.check(
      throttle,
      adapterEntry.get(request.session),
      request,
      request,
      options,
    );
    if (answer.ok) return undefined;
    if (answer.retryAfter) reply.header('retry-after', answer.retryAfter);
    return replySessionError(reply, answer.error);
  };
}

/** The attempt `loginThrottle()` let through: `await loginAttempt(request).failed()` or `.succeeded()`. */
export function loginAttempt(request: FastifyRequest): LoginAttempt {
  return loginGuard.attemptOf(request);
}
