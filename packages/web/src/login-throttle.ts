/**
 * Brute-force protection for a login handler: `loginThrottle(throttle, { account }, handler)`
 * checks the attempt before `handler` runs (429 `{ error: 'too_many_attempts' }` with
 * `Retry-After`, 503 when the store is down), and `loginAttempt(request)` hands the handler the
 * attempt to record. Wrap it in `withSession`: the client IP is the one `withSession` resolved
 * (its `clientIp` and `trustProxy`). The logic is the core's `loginGuard`.
 */
import {
  adapterEntry,
  csrfSkip,
  errorBodyOf,
  httpStatusOf,
  type LoginAttempt,
  type LoginThrottle,
  type LoginThrottleGuardOptions,
  loginGuard,
  type SessionData,
} from '@tessera/session-core';
import { json } from './internal/json.js';
import type { SessionHandler } from './session.js';

/**
 * `account` gets the Request. Read the name from a clone (`(await request.clone().json()).username`):
 * a body read here is gone for the handler.
 */
export function loginThrottle<D extends SessionData = SessionData, A extends unknown[] = unknown[]>(
  throttle: LoginThrottle,
  options: LoginThrottleGuardOptions<Request>,
  handler: SessionHandler<D, A>,
): SessionHandler<D, A> {
  loginGuard.validate(throttle, options);
  const guarded: SessionHandler<D, A> = async (request, session, ...rest) => {
    const answer = await loginGuard.check(throttle, adapterEntry.get(request), request, request, options);
    if (!answer.ok) {
      const res = json(httpStatusOf(answer.error.code), errorBodyOf(answer.error));
      if (answer.retryAfter) res.headers.set('retry-after', answer.retryAfter);
      return res;
    }
    return handler(request, session, ...rest);
  };
  // A handler exempt from CSRF (skipCsrf) stays exempt behind the guard.
  return csrfSkip.tagged(handler) ? csrfSkip.tag(guarded) : guarded;
}

/** The attempt `loginThrottle()` let through: `await loginAttempt(request).failed()` or `.succeeded()`. */
export function loginAttempt(request: Request): LoginAttempt {
  return loginGuard.attemptOf(request);
}
