import { describeStoreContract } from '@tessera/session-testing';
import { type RedisServer, startRedis } from '@tessera/test-support';
import type { Redis } from 'ioredis';
import { describe } from 'vitest';
import { redisStore } from '../src/index.js';
import { client, noRedis, ready } from './helpers.js';

// REDIS_URL points the suite at an existing server; keys get a unique prefix so it can share.
const external = process.env.REDIS_URL;
const prefix = external ? `tessera-test-${Date.now().toString(36)}:` : 'tessera:';
let server: RedisServer | undefined;
let redis: Redis;

describe.skipIf(noRedis && !external)('redis standalone', () => {
  describeStoreContract({
    name: external ? `redis (REDIS_URL, prefix ${prefix})` : 'redis (throwaway redis-server)',
    makeStore: async () => {
      if (!external) server = await startRedis();
      redis = client(external ?? server!.url);
      await ready(redis);
      return redisStore({ client: redis, keyPrefix: prefix });
    },
    corrupt: async (_store, key) => {
      await redis.hset(`${prefix}{${key.tag}}s:${key.id}`, { v: '9', h: 'x', garbage: '\u0000\u00ff' });
    },
    teardown: async () => {
      // On a shared server, remove what this run wrote (glob characters in the prefix escaped).
      if (external) {
        const match = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
        let cursor = '0';
        for (let i = 0; i < 1000; i++) {
          const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 500);
          if (keys.length > 0) await redis.unlink(...keys);
          cursor = next;
          if (cursor === '0') break;
        }
      }
      redis.disconnect();
      await server?.stop();
    },
  });
});
