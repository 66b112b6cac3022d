/**
 * The per-user admin operations ("your devices", revoke one, log out other devices), shared
 * by the manager's API and the session handle so both report and emit the same way.
 */

import type { Clock } from './clock.js';
import type { SessionEvent } from './events.js';
import type { SessionKey, SessionStore } from './store.js';
import { handleOf } from './token.js';

/** One entry of "your devices". */
export interface SessionInfo {
  readonly handle: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
  readonly ip: string;
  readonly userAgent: string;
  /** True for the session of the request that asked. */
  readonly current: boolean;
}

export interface AdminDeps {
  readonly store: SessionStore;
  readonly clock: Clock;
  call<T>(operation: string, handle: string | null, fn: () => Promise<T>): Promise<T>;
  emit(event: SessionEvent): void;
}

export async function listSessions(
  m: AdminDeps,
  userId: string,
  currentHandle: string | null,
): Promise<SessionInfo[]> {
  const list = await m.call('list', null, () => m.store.listUserSessions(userId, { now: m.clock.now() }));
  return list.map((s) => ({
    handle: s.handle,
    createdAt: s.createdAt,
    lastSeenAt: s.lastSeenAt,
    expiresAt: s.expiresAt,
    ip: s.client?.ip ?? '',
    userAgent: s.client?.userAgent ?? '',
    current: s.handle === currentHandle,
  }));
}

export async function revokeSession(m: AdminDeps, userId: string, handle: string): Promise<boolean> {
  if (typeof handle !== 'string' || handle.length === 0 || handle.length > 64) return false;
  const now = m.clock.now();
  const done =
    (await m.call('revoke', handle, () => m.store.revokeUserSessions(userId, { now, only: handle }))) > 0;
  if (done) m.emit({ type: 'revoked', at: now, handle, userId, scope: 'one' });
  return done;
}

/** The key of `userId`'s live session with public handle `handle`, or null (one store call). */
export async function keyOfHandle(m: AdminDeps, userId: string, handle: string): Promise<SessionKey | null> {
  const list = await m.call('list', null, () => m.store.listUserSessions(userId, { now: m.clock.now() }));
  return list.find((s) => s.handle === handle)?.key ?? null;
}

/** Revoke all of `userId`'s sessions, or all but the one under `except`. */
export async function revokeSessions(m: AdminDeps, userId: string, except?: SessionKey): Promise<number> {
  const now = m.clock.now();
  const n = await m.call('revoke-all', null, () =>
    m.store.revokeUserSessions(userId, except ? { now, except } : { now }),
  );
  if (n > 0)
    m.emit({
      type: 'revoked',
      at: now,
      handle: except ? handleOf(except) : '*',
      userId,
      scope: except ? 'others' : 'all',
    });
  return n;
}
