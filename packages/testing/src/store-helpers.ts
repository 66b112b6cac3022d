/** Small store-level steps the stores' own test files share: sign a user in, read a status, list ids, catch a SessionError. */
import {
  isSessionError,
  type SessionErrorCode,
  type SessionKey,
  type SessionStore,
} from '@tessera/session-core';
import { keyFor, storedSession } from './fixtures.js';

const MIN = 60_000;
const DEFAULT_LIMIT = { max: 5, onLimit: 'evict-oldest' } as const;

/** Log `userId` in with a fresh key routed the store's way (rotate from nothing); throws unless `ok`. */
export async function signIn(
  store: SessionStore,
  userId: string,
  limit: { readonly max: number; readonly onLimit: 'evict-oldest' | 'reject' } = DEFAULT_LIMIT,
): Promise<SessionKey> {
  const key = keyFor(store, userId);
  const now = Date.now();
  const r = await store.rotate({
    now,
    from: null,
    to: { key, session: storedSession({ userId, now }) },
    limit,
  });
  if (r.status !== 'ok') throw new Error(`signIn(${userId}): rotate answered ${r.status}`);
  return key;
}

/** What a load of `key` answers now (no touch due). */
export async function loadStatus(store: SessionStore, key: SessionKey): Promise<string> {
  return (await store.load(key, { now: Date.now(), touchIntervalMs: MIN })).status;
}

/** The ids of the sessions the store lists for `userId`. */
export async function listedIds(store: SessionStore, userId: string): Promise<string[]> {
  return (await store.listUserSessions(userId, { now: Date.now() })).map((s) => s.key.id);
}

/** The message of the SessionError `make` throws with `code` (default `invalid_config`); throws if it does not. */
export function sessionErrorOf(make: () => unknown, code: SessionErrorCode = 'invalid_config'): string {
  try {
    make();
  } catch (error) {
    if (isSessionError(error, code)) return error.message;
    throw new Error(`expected SessionError('${code}'), got ${String(error)}`);
  }
  throw new Error(`expected SessionError('${code}'), nothing was thrown`);
}
