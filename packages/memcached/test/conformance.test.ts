import { describeStoreContract, type MemcachedServer } from '@tessera/session-testing';
import { describe } from 'vitest';
import { type MemcachedStore, memcachedStore } from '../src/index.js';
import { noMemcached, startServers, writeCorrupt } from './helpers.js';

for (const count of [1, 3]) {
  describe.skipIf(noMemcached)(`memcached, ${count} server(s)`, () => {
    let servers: MemcachedServer[] = [];
    describeStoreContract({
      name: `memcached (${count} server${count > 1 ? 's' : ''})`,
      ttlResolutionMs: 1000,
      makeStore: async () => {
        servers = await startServers(count);
        return memcachedStore({ servers: servers.map((s) => s.server), keyPrefix: `tessera:` });
      },
      teardown: async (store) => {
        await store.close?.();
        await Promise.all(servers.map((s) => s.stop()));
      },
      corrupt: (store, key) => writeCorrupt(store as MemcachedStore, key),
    });
  });
}
