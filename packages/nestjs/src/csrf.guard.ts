/**
 * CSRF for unsafe methods, registered globally by `SessionModule`: the core checks Fetch
 * Metadata / Origin, then the token from the `x-csrf-token` header or the form field
 * (`_csrf`) of the body Nest already parsed. `@SkipCsrf()` exempts a route or controller
 * (webhooks that authenticate otherwise); `csrf: { enabled: false }` turns it off.
 */
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SessionError } from '@tessera/session-core';
import { stateOf } from './internal/request-state.js';

/** Exempt a handler or controller from the CSRF check. */
export const SkipCsrf = Reflector.createDecorator<void>();
const reflector = new Reflector();

@Injectable()
export class CsrfGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    if (reflector.getAllAndOverride(SkipCsrf, [context.getHandler(), context.getClass()]) !== undefined)
      return true;
    const { rs } = stateOf(context);
    const request = context.switchToHttp().getRequest<{ body?: unknown }>();
    // Nest's body parser (bounded by its own limit) has read the body before guards run.
    const checked = rs.verifyCsrf({ parsed: () => request.body });
    const result = checked instanceof Promise ? await checked : checked;
    if (!result.ok) throw new SessionError('csrf', `CSRF check failed (${result.reason}).`);
    return true;
  }
}
