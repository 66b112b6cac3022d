/**
 * A store wrapper that counts calls per operation and can be switched "down" (every call
 * rejects, or hangs until the core's timeout) — to count store work per request and to
 * exercise fail-closed paths without killing a server. The real store underneath is untouched.
 */
import type { SessionStore } from '@tessera/session-core';

export type StoreOperation =
  | 'load'
  | 'create'
  | 'update'
  | 'rotate'
  | 'destroy'
  | 'listUserSessions'
  | 'revokeUserSessions';

/** Every SessionStore method that talks to the backend, in contract order. */
export const STORE_OPERATIONS: readonly StoreOperation[] = Object.freeze([
  'load',
  'create',
  'update',
  'rotate',
  'destroy',
  'listUserSessions',
  'revokeUserSessions',
]);

export interface InstrumentedStore extends SessionStore {
  /** Calls per operation since the last `reset()`. */
  readonly counts: Readonly<Record<StoreOperation, number>>;
  /** Total calls since the last `reset()`. */
  total(): number;
  reset(): void;
  /** `'reject'`: calls fail at once; `'hang'`: calls never answer; `'up'`: normal. */
  mode: 'up' | 'reject' | 'hang';
  readonly inner: SessionStore;
}

export function instrumentStore(inner: SessionStore): InstrumentedStore {
  const counts = Object.fromEntries(STORE_OPERATIONS.map((op) => [op, 0])) as Record<StoreOperation, number>;
  const wrapped = {
    name: inner.name,
    capabilities: inner.capabilities,
    ...(inner.limits ? { limits: inner.limits } : {}),
    counts,
    inner,
    mode: 'up' as 'up' | 'reject' | 'hang',
    total: () => STORE_OPERATIONS.reduce((sum, op) => sum + counts[op], 0),
    reset: () => {
      for (const op of STORE_OPERATIONS) counts[op] = 0;
    },
    close: () => inner.close?.() ?? Promise.resolve(),
  } as InstrumentedStore & { mode: 'up' | 'reject' | 'hang' };
  if (inner.shardTag)
    (wrapped as { shardTag?: SessionStore['shardTag'] }).shardTag = (u) => inner.shardTag!(u);
  for (const op of STORE_OPERATIONS) {
    (wrapped as unknown as Record<string, unknown>)[op] = (...args: unknown[]) => {
      counts[op]++;
      if (wrapped.mode === 'reject') return Promise.reject(new Error(`store is down (instrumented ${op})`));
      if (wrapped.mode === 'hang') return new Promise(() => {});
      return (inner[op] as (...a: unknown[]) => Promise<unknown>).apply(inner, args);
    };
  }
  return wrapped;
}
