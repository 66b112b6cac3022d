/**
 * The store conformance kit against a store with the near cache on: every contract case
 * must hold with reads served from this process. The `corrupt` hook writes behind the
 * store's back (as another process would), so it waits out that write's invalidation.
 */
import { describeStoreContract } from '@tessera/session-testing';
import { type RedisServer, startRedis } from '@tessera/test-support';
import type { Redis } from 'ioredis';
import { describe } from 'vitest';
import { redisStore } from '../src/index.js';
import { client, noRedis, ready } from './helpers.js';

let server: RedisServer | undefined;
let redis: Redis;
let closeStore: (() => Promise<void>) | undefined;

describe.skipIf(noRedis)('redis standalone, near cache on', () => {
  describeStoreContract({
    name: 'redis (throwaway redis-server, nearCache)',
    makeStore: async () => {
      server = await startRedis();
      redis = client(server.url);
      await ready(redis);
      const store = redisStore({ client: redis, nearCache: { maxEntries: 1000 } });
      closeStore = () => store.close?.() ?? Promise.resolve();
      return store;
    },
    corrupt: async (_store, key) => {
      await redis.hset(`tessera:{${key.tag}}s:${key.id}`, { v: '9', h: 'x', garbage: '\u0000\u00ff' });
      // Another writer's change reaches this process by invalidation, after its reply.
      await new Promise((r) => setTimeout(r, 20));
    },
    teardown: async () => {
      await closeStore?.();
      redis.disconnect();
      await server?.stop();
    },
  });
});
