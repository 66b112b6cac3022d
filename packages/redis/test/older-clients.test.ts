/**
 * The store's peer range accepts ioredis 5 and node-redis 5 (`>=5`), not only the 6.x the other
 * suites run on: the store contract on each, standalone, on a throwaway server, plus the
 * read's one plain HGETALL (ioredis 5 parses replies with the older, cheaper redis-parser,
 * and node-redis 5 maps replies its own way: the read must decode on both).
 */
import { describeStoreContract, keyFor, storedSession } from '@tessera/session-testing';
import { type RedisServer, startRedis } from '@tessera/test-support';
import { Redis as Redis5, type RedisOptions as RedisOptions5 } from 'ioredis5';
import { createClient as createClient5 } from 'redis5';
import { describe, expect, it } from 'vitest';
import { redisStore } from '../src/index.js';
import type { AnyRedisClient } from '../src/internal/client.js';
import { FAIL_FAST, NODE_REDIS_FAIL_FAST, noRedis } from './helpers.js';

interface Connection {
  readonly client: AnyRedisClient;
  cmd(...args: string[]): Promise<unknown>;
  close(): Promise<void>;
}

const OLDER: Record<string, (url: string) => Promise<Connection>> = {
  'ioredis 5': async (url) => {
    // The same fail-fast settings (typed by ioredis 6's options, which name the same fields).
    const c = new Redis5(url, FAIL_FAST as RedisOptions5);
    c.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      c.once('ready', () => resolve());
      c.once('error', reject);
    });
    return {
      client: c,
      cmd: (...args) => c.call(args[0]!, ...args.slice(1)),
      close: async () => c.disconnect(),
    };
  },
  'node-redis 5': async (url) => {
    const c = createClient5({ url, ...NODE_REDIS_FAIL_FAST });
    c.on('error', () => {});
    await c.connect();
    return {
      client: c as unknown as AnyRedisClient,
      cmd: (...args) => c.sendCommand(args),
      close: async () => {
        if (c.isOpen) c.destroy();
      },
    };
  },
};

for (const [kind, connect] of Object.entries(OLDER)) {
  describe.skipIf(noRedis)(`redis store on ${kind}`, () => {
    let server: RedisServer | undefined;
    let redis: Connection;

    describeStoreContract({
      name: `redis on ${kind} (throwaway redis-server)`,
      makeStore: async () => {
        server = await startRedis();
        redis = await connect(server.url);
        return redisStore({ client: redis.client });
      },
      corrupt: async (_store, key) => {
        await redis.cmd('HSET', `tessera:{${key.tag}}s:${key.id}`, 'v', '9', 'garbage', '\u0000\u00ff');
      },
      teardown: async () => {
        await redis.close();
        await server?.stop();
      },
    });

    it('reads a session back whole from the plain HGETALL, and a due touch through the script', async () => {
      const s = await startRedis();
      const c = await connect(s.url);
      try {
        const store = redisStore({ client: c.client });
        const now = Date.now();
        const key = keyFor(store, 'older-client');
        const session = storedSession({ now, userId: 'older-client', data: { cart: [1, 2], name: 'é' } });
        expect(
          await store.rotate({
            now,
            from: null,
            to: { key, session },
            limit: { max: 5, onLimit: 'evict-oldest' },
          }),
        ).toMatchObject({ status: 'ok' });
        const read = await store.load(key, { now, touchIntervalMs: 60_000 });
        expect(read).toEqual({ status: 'found', session, touched: false });
        const due = await store.load(key, { now: now + 120_000, touchIntervalMs: 60_000 });
        expect(due).toMatchObject({ status: 'found', touched: true, session: { lastSeenAt: now + 120_000 } });
      } finally {
        await c.close();
        await s.stop();
      }
    });
  });
}
