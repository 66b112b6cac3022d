/**
 * Route protection with the same rules as `requireAuth` in the other adapters:
 * `@UseGuards(SessionGuard)` needs a signed-in session (401 `unauthenticated`);
 * `@RequireAuth({ maxAuthAgeMs, check })` adds a recent-authentication window (401
 * `reauthentication_required`) and a predicate (403 `forbidden`), and applies the guard.
 */
import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Injectable,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  assertAuthorized,
  type RequireAuthOptions,
  type SessionData,
  validateRequireAuth,
} from '@tessera/session-core';
import { stateOf } from './internal/request-state.js';

const AUTH = Reflector.createDecorator<RequireAuthOptions>();
const reflector = new Reflector();

@Injectable()
export class SessionGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { rs, manager } = stateOf(context);
    const options = reflector.getAllAndOverride(AUTH, [context.getHandler(), context.getClass()]) ?? {};
    // Rejects with a SessionError; SessionExceptionFilter answers its status and code.
    await assertAuthorized(rs.session, options, manager.now());
    return true;
  }
}

/**
 * Protect a handler or controller: signed in, and optionally authenticated within
 * `maxAuthAgeMs` and passing `check`. Options are validated when the class is decorated.
 */
export function RequireAuth<D = SessionData>(
  options: RequireAuthOptions<D> = {},
): MethodDecorator & ClassDecorator {
  validateRequireAuth(options);
  return applyDecorators(AUTH(options as unknown as RequireAuthOptions), UseGuards(SessionGuard));
}
