/**
 * Throttle counters for `fromKeyValueStore`: best effort, and NOT atomic. A failure is a get
 * then a set of each counter, so parallel failures (in one process or many) can read the same
 * count and lose increments: a parallel attacker gets more attempts than the policy says.
 * `atomic: false` says so, and `createLoginThrottle` refuses these counters unless the app
 * passes `allowNonAtomicCounters: true`. Each call still costs one round trip of latency (the
 * two counters are read or written in parallel), two calls to the key-value service.
 */
import type { KeyValueStore } from '../kv-store.js';
import {
  liveCount,
  NO_COUNT,
  type ThrottleCount,
  type ThrottleCounters,
  type ThrottleKeys,
} from './counters.js';

export function keyValueThrottleCounters(kv: KeyValueStore, prefix: string): ThrottleCounters {
  const aKey = (keys: ThrottleKeys) => `${prefix}ta:${keys.account}`;
  const iKey = (keys: ThrottleKeys) => `${prefix}ti:${keys.ip}`;

  const get = async (key: string, now: number, windowMs: number): Promise<ThrottleCount> => {
    const raw = await kv.get(key);
    if (typeof raw !== 'string') return NO_COUNT;
    const [count, lastAt] = raw.split(':').map(Number);
    return liveCount(count ?? Number.NaN, lastAt ?? Number.NaN, now, windowMs);
  };

  const add = async (key: string, now: number, windowMs: number): Promise<ThrottleCount> => {
    const before = await get(key, now, windowMs);
    const after = { count: before.count + 1, lastAt: Math.max(before.lastAt, now) };
    await kv.set(key, `${after.count}:${after.lastAt}`, after.lastAt + windowMs - now);
    return after;
  };

  const counters: ThrottleCounters = {
    atomic: false,
    async read(keys, options) {
      const [account, ip] = await Promise.all([
        get(aKey(keys), options.now, options.accountWindowMs),
        get(iKey(keys), options.now, options.ipWindowMs),
      ]);
      return { account, ip };
    },
    async fail(keys, options) {
      const [account, ip] = await Promise.all([
        add(aKey(keys), options.now, options.accountWindowMs),
        add(iKey(keys), options.now, options.ipWindowMs),
      ]);
      return { account, ip };
    },
    reset(keys) {
      return kv.delete(aKey(keys));
    },
  };
  return counters;
}
