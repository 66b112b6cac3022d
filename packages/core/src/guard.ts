/**
 * Route protection shared by every adapter (`requireAuth` in Hono/Koa/Express,
 * `SessionGuard` in NestJS), so each framework refuses the same requests the same way.
 */
import { SessionError } from './errors.js';
import type { Session, SessionData } from './session.js';

export interface RequireAuthOptions<D = SessionData> {
  /**
   * Require an authentication no older than this, ms (for sensitive routes: change password,
   * payment). Older answers 401 `reauthentication_required`. @default undefined (any age)
   */
  readonly maxAuthAgeMs?: number;
  /** Extra check on the session (roles, claims); false answers 403 `forbidden`. @default undefined */
  readonly check?: (session: Session<D>) => boolean | Promise<boolean>;
}

export function validateRequireAuth(options: {
  readonly maxAuthAgeMs?: unknown;
  readonly check?: unknown;
}): void {
  const age = options.maxAuthAgeMs;
  if (age !== undefined && !(typeof age === 'number' && Number.isFinite(age) && age >= 0)) {
    throw new SessionError(
      'invalid_config',
      `requireAuth: maxAuthAgeMs must be a number >= 0, got ${String(age)}.`,
    );
  }
  if (options.check !== undefined && typeof options.check !== 'function') {
    throw new SessionError('invalid_config', 'requireAuth: check must be a function.');
  }
}

/** Resolves when the session may pass; rejects with a `SessionError` whose code says why not. */
export async function assertAuthorized<D>(
  session: Session<D>,
  options: RequireAuthOptions<D>,
  now: number,
): Promise<void> {
  if (!session.authenticated) throw new SessionError('unauthenticated', 'sign in first.');
  if (options.maxAuthAgeMs !== undefined && now - (session.authenticatedAt ?? 0) > options.maxAuthAgeMs) {
    throw new SessionError('reauthentication_required', 'sign in again to continue.');
  }
  if (options.check && !(await options.check(session))) throw new SessionError('forbidden', 'not allowed.');
}
