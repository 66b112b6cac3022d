/**
 * Brute-force protection for a login route: `@UseGuards(loginThrottle(throttle, { account }))`
 * checks the attempt before the handler runs (429 `too_many_attempts` with `Retry-After`, 503
 * when the store is down, both through SessionExceptionFilter), and `@CurrentLoginAttempt()`
 * hands the handler the attempt to record: `await attempt.failed()` or `await attempt.succeeded()`.
 * The logic is the core's `loginGuard`.
 */
import type { ServerResponse } from 'node:http';
import { type CanActivate, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import {
  type LoginAttempt,
  type LoginThrottle,
  type LoginThrottleGuardOptions,
  loginGuard,
} from '@tessera/session-core';
import { stateOf } from './internal/request-state.js';

/**
 * A guard instance for `@UseGuards(...)`. `account` receives the platform's request (Express
 * `req`, or Fastify's `request`), body already parsed by Nest.
 */
export function loginThrottle<R = { body?: unknown }>(
  throttle: LoginThrottle,
  options: LoginThrottleGuardOptions<R>,
): CanActivate {
  loginGuard.validate(throttle, options);
  return {
    async canActivate(context: ExecutionContext): Promise<boolean> {
      const http = context.switchToHttp();
      const request = http.getRequest<R & object>();
      const answer = await loginGuard.check(throttle, stateOf(context), request, request, options);
      if (answer.ok) return true;
      if (answer.retryAfter) {
        // On the Node response: Express's res is one, Fastify's reply wraps it as `raw`, and
        // Node merges headers set here into the reply the exception filter writes.
        const res = http.getResponse<{ raw?: ServerResponse } & Partial<ServerResponse>>();
        (res.raw ?? (res as ServerResponse)).setHeader('retry-after', answer.retryAfter);
      }
      throw answer.error;
    },
  };
}

/** `@CurrentLoginAttempt() attempt: LoginAttempt`: the attempt `loginThrottle()` let through. */
export const CurrentLoginAttempt: () => ParameterDecorator = createParamDecorator(
  (_data: unknown, context: ExecutionContext): LoginAttempt =>
    loginGuard.attemptOf(context.switchToHttp().getRequest<object>()),
);
