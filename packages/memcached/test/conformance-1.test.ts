// The store contract on 1 throwaway memcached server(s). One file per topology so they run in parallel.
import { describeStoreContract } from '@tessera/session-testing';
import type { MemcachedServer } from '@tessera/test-support';
import { describe } from 'vitest';
import { type MemcachedStore, memcachedStore } from '../src/index.js';
import { noMemcached, startServers, writeCorrupt } from './helpers.js';

describe.skipIf(noMemcached)('memcached, 1 server(s)', () => {
  let servers: MemcachedServer[] = [];
  describeStoreContract({
    name: 'memcached (1 server(s))',
    // memcached TTLs are whole seconds.
    ttlResolutionMs: 1000,
    makeStore: async () => {
      servers = await startServers(1);
      return memcachedStore({ servers: servers.map((s) => s.server) });
    },
    teardown: async (store) => {
      await store.close?.();
      await Promise.all(servers.map((s) => s.stop()));
    },
    corrupt: (store, key) => writeCorrupt(store as MemcachedStore, key),
  });
});
