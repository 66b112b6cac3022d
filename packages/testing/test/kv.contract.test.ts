// The generic get/set/delete fallback, over an in-process map with real TTLs. Its capability
// flags say it is not atomic, so the race cases are skipped (with that reason) here.
import { fromKeyValueStore, type KeyValueStore } from '@tessera/session-core';
import { describeStoreContract } from '../src/index.js';

function mapKv(): KeyValueStore {
  const map = new Map<string, { value: string; until: number }>();
  return {
    async get(key) {
      const e = map.get(key);
      if (!e || e.until <= Date.now()) return null;
      return e.value;
    },
    async set(key, value, ttlMs) {
      map.set(key, { value, until: Date.now() + ttlMs });
    },
    async delete(key) {
      map.delete(key);
    },
  };
}

const kv = mapKv();

describeStoreContract({
  name: 'key-value fallback',
  makeStore: () => fromKeyValueStore(kv),
  ttlResolutionMs: 20,
  corrupt: (_store, key) => kv.set(`tessera:s:${key.id}`, '{not json', 60_000),
});
