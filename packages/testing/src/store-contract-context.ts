// What the store contract hands each group of cases: its settings, its live store, and its helpers.
import type { SessionKey, SessionStore, StoredSession } from '@tessera/session-core';

export const MIN = 60_000;
export const NEVER = 365 * 24 * 60 * MIN;
export const NOT_ATOMIC_ROTATE =
  'capabilities.atomicRotate is false: the store does not promise an exact cap or single-use rotation';
export const NOT_ATOMIC_MERGE = 'capabilities.atomicMerge is false: concurrent updates may lose writes';
export const NOT_NO_RESURRECT = 'capabilities.noResurrect is false: a late update may recreate a session';

/** Stores may normalise JSON text (whitespace, key order): compare values, not spellings. */
export function parsed(data: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(data)) out[k] = JSON.parse(data[k]!);
  return out;
}

/**
 * Built once by describeStoreContract. The store exists only once its beforeAll ran, so it is
 * a function, read inside each case.
 */
export interface StoreCaseContext {
  readonly timeout: number;
  /** See StoreContractOptions.ttlResolutionMs. */
  readonly resolution: number;
  /** See StoreContractOptions.concurrency. */
  readonly n: number;
  /** See StoreContractOptions.corrupt. */
  readonly corrupt: ((store: SessionStore, key: SessionKey) => Promise<void>) | undefined;
  store(): SessionStore;
  /** A fresh user id. */
  user(): string;
  /** A load that never touches unless asked (the touch interval outlasts any test). */
  load(key: SessionKey, now?: number, touchIntervalMs?: number): ReturnType<SessionStore['load']>;
  /** Found and not past its deadline (a store may hand over an expired record untouched). */
  live(key: SessionKey, now?: number): Promise<boolean>;
  /** Rotate a new session of `userId` in from nothing, at a cap of `max`. */
  login(
    userId: string,
    max: number,
    onLimit: 'evict-oldest' | 'reject',
    now?: number,
  ): Promise<{
    key: SessionKey;
    session: StoredSession;
    result: Awaited<ReturnType<SessionStore['rotate']>>;
  }>;
}
