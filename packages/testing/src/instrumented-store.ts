/**
 * A store wrapper that counts calls per operation and can be switched "down" (every call
 * rejects, or hangs until the core's timeout) — to count store work per request and to
 * exercise fail-closed paths without killing a server. The real store underneath is untouched.
 */
import type { SessionStore, ThrottleCounters } from '@tessera/session-core';

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

/** The login throttle's counter calls (`store.throttle`), counted apart from the session operations. */
export type ThrottleOperation = 'read' | 'fail' | 'reset';
const THROTTLE_OPERATIONS: readonly ThrottleOperation[] = Object.freeze(['read', 'fail', 'reset']);

export interface InstrumentedStore extends SessionStore {
  /** Calls per operation since the last `reset()`. */
  readonly counts: Readonly<Record<StoreOperation, number>>;
  /** Calls per login throttle counter operation since the last `reset()` (the store has `throttle`). */
  readonly throttleCounts: Readonly<Record<ThrottleOperation, number>>;
  /** Total calls (throttle counters included) since the last `reset()`. */
  total(): number;
  reset(): void;
  /** `'reject'`: calls fail at once; `'hang'`: calls never answer; `'up'`: normal. */
  mode: 'up' | 'reject' | 'hang';
  readonly inner: SessionStore;
}

export function instrumentStore(inner: SessionStore): InstrumentedStore {
  const counts = Object.fromEntries(STORE_OPERATIONS.map((op) => [op, 0])) as Record<StoreOperation, number>;
  const throttleCounts = { read: 0, fail: 0, reset: 0 };
  const wrapped = {
    name: inner.name,
    capabilities: inner.capabilities,
    ...(inner.limits ? { limits: inner.limits } : {}),
    counts,
    throttleCounts,
    inner,
    mode: 'up' as 'up' | 'reject' | 'hang',
    total: () =>
      STORE_OPERATIONS.reduce((sum, op) => sum + counts[op], 0) +
      throttleCounts.read +
      throttleCounts.fail +
      throttleCounts.reset,
    reset: () => {
      for (const op of STORE_OPERATIONS) counts[op] = 0;
      for (const op of THROTTLE_OPERATIONS) throttleCounts[op] = 0;
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
  const counters = inner.throttle;
  if (counters) {
    const throttle: Record<string, unknown> = { atomic: counters.atomic };
    for (const op of THROTTLE_OPERATIONS) {
      throttle[op] = (...args: unknown[]) => {
        throttleCounts[op]++;
        if (wrapped.mode === 'reject')
          return Promise.reject(new Error(`store is down (instrumented throttle.${op})`));
        if (wrapped.mode === 'hang') return new Promise(() => {});
        return (counters[op] as (...a: unknown[]) => Promise<unknown>).apply(counters, args);
      };
    }
    (wrapped as { throttle?: ThrottleCounters }).throttle = throttle as unknown as ThrottleCounters;
  }
  return wrapped;
}
