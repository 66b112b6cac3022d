/**
 * The store contract as runnable tests. A store's test file is a few lines:
 *
 *   describeStoreContract({ name: 'redis', makeStore: () => redisStore({ client }) });
 *
 * Capability flags (`store.capabilities`) decide which cases apply; a case a flag does not
 * promise is skipped with its reason in the title, never silently dropped.
 */
import { expiresAtOf, type SessionKey, type SessionStore } from '@tessera/session-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFor, randomId, storedSession } from './fixtures.js';
import { describeBoundedData } from './store-contract-bounded.js';
import { NEVER, type StoreCaseContext } from './store-contract-context.js';
import { describeExpiryCases } from './store-contract-expiry.js';
import { describeRaceCases } from './store-contract-races.js';
import { describeRecordCases } from './store-contract-records.js';
import { describeRotateCases } from './store-contract-rotate.js';
import { describeThrottleCases } from './store-contract-throttle.js';

export interface StoreContractOptions {
  /** Shown in the suite title. */
  readonly name: string;
  /** Called once for the suite. */
  readonly makeStore: () => SessionStore | Promise<SessionStore>;
  /** Called once after the suite (close clients, stop servers). */
  readonly teardown?: (store: SessionStore) => void | Promise<void>;
  /**
   * Write bytes the store cannot decode under `key` (bad JSON, unknown version...), to
   * check that corrupt records read as `corrupt` or `missing`, never as data. Optional.
   */
  readonly corrupt?: (store: SessionStore, key: SessionKey) => Promise<void>;
  /** The store's TTL resolution in ms (memcached: 1000). Real-time waits scale with it. @default 100 */
  readonly ttlResolutionMs?: number;
  /** Parallel requests in the race cases. @default 50 */
  readonly concurrency?: number;
  /** Per-test timeout, ms. @default 20000 */
  readonly timeoutMs?: number;
}

export function describeStoreContract(options: StoreContractOptions): void {
  const resolution = options.ttlResolutionMs ?? 100;
  const n = options.concurrency ?? 50;
  const timeout = options.timeoutMs ?? 20_000;

  describe(`store contract: ${options.name}`, () => {
    let store: SessionStore;
    beforeAll(async () => {
      store = await options.makeStore();
    }, 60_000);
    afterAll(async () => {
      if (store && options.teardown) await options.teardown(store);
    }, 60_000);

    const user = () => `user-${randomId().slice(0, 10)}`;
    // Reads that must not touch use a touch interval longer than any test.
    const load = (key: SessionKey, now = Date.now(), touchIntervalMs = NEVER) =>
      store.load(key, { now, touchIntervalMs });
    // Live = found and not past its deadline (a store may hand over an expired record untouched).
    const live = async (key: SessionKey, now = Date.now()) => {
      const r = await load(key, now);
      return r.status === 'found' && now < expiresAtOf(r.session);
    };
    const login = (userId: string, max: number, onLimit: 'evict-oldest' | 'reject', now = Date.now()) => {
      const key = keyFor(store, userId);
      const session = storedSession({ userId, now });
      return store
        .rotate({ now, from: null, to: { key, session }, limit: { max, onLimit } })
        .then((result) => ({ key, session, result }));
    };

    const suite: StoreCaseContext = {
      timeout,
      resolution,
      n,
      corrupt: options.corrupt,
      store: () => store,
      user,
      load,
      live,
      login,
    };
    // The order of the groups is the order of the report.
    describeRecordCases(suite);
    describeExpiryCases(suite);
    describeRotateCases(suite);
    describeBoundedData(() => store, timeout);
    describeRaceCases(suite);
    describeThrottleCases(suite);

    it('declares every capability as a boolean', () => {
      const c = store.capabilities;
      for (const flag of ['atomicMerge', 'atomicRotate', 'noResurrect'] as const) {
        expect(typeof c[flag]).toBe('boolean');
      }
    });
  });
}
