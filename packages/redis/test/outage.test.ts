/**
 * Store down: a throwaway redis-server is killed and restarted on the same port. Calls fail
 * fast with the typed error (never queue), and succeed again after the restart without
 * recreating the client or the store.
 */
import { isSessionError, type SessionStore } from '@tessera/session-core';
import { keyFor, storedSession } from '@tessera/session-testing';
import { type RedisServer, startRedis } from '@tessera/test-support';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnyRedisClient, redisStore } from '../src/index.js';
import { client, NODE_REDIS_FAIL_FAST, noRedis, ready } from './helpers.js';

const TIMEOUT = 500;

async function failure(op: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const t0 = Date.now();
  try {
    await op();
  } catch (error) {
    return { error, ms: Date.now() - t0 };
  }
  throw new Error('expected the call to fail');
}

/** Poll until `op` succeeds: bounded in count and time. */
async function recovers(op: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await op();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A connected client for the store, and how to let it go. */
interface Made {
  readonly client: AnyRedisClient;
  close(): void;
}

async function ioredis(c: Redis): Promise<Made> {
  c.on('error', () => {});
  await ready(c);
  return { client: c, close: () => c.disconnect() };
}

async function nodeRedis(c: ReturnType<typeof createClient>): Promise<Made> {
  c.on('error', () => {});
  await c.connect();
  return { client: c, close: () => c.isOpen && c.destroy() };
}

describe.skipIf(noRedis)('store down and recovery (throwaway redis-server, killed and restarted)', () => {
  let server: RedisServer;
  const clients: Made[] = [];
  beforeAll(async () => {
    // Append-only, so a write sent late would still be there after the restart.
    server = await startRedis({ persistent: true });
  }, 20_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await server?.stop();
  });

  const cases: [string, () => Promise<Made>][] = [
    ['ioredis configured as the README says (no offline queue)', () => ioredis(client(server.url))],
    // ioredis defaults: offline queue on, 20 retries. The store's own timer and readiness
    // gate still bound every call.
    ['ioredis with its defaults', () => ioredis(new Redis(server.url))],
    [
      'node-redis configured as the README says (disableOfflineQueue)',
      () => nodeRedis(createClient({ url: server.url, ...NODE_REDIS_FAIL_FAST })),
    ],
    // node-redis defaults: commands queue while reconnecting, with no bound of their own.
    ['node-redis with its defaults (offline queue on)', () => nodeRedis(createClient({ url: server.url }))],
  ];

  for (const [name, make] of cases) {
    it(`${name}: typed error within the timeout while down, nothing sent late, success after restart`, async () => {
      const made = await make();
      clients.push(made);
      const store: SessionStore = redisStore({ client: made.client, timeoutMs: TIMEOUT });
      const now = Date.now();
      const key = keyFor(store);
      expect(await store.create(key, storedSession({ now }), { now })).toBe(true);

      await server.stop();
      for (const op of [
        () => store.load(key, { now, touchIntervalMs: 0 }),
        () => store.update(key, { set: { a: '1' }, unset: [] }, { now }),
        () => store.revokeUserSessions('someone', { now }),
      ]) {
        const { error, ms } = await failure(op);
        expect(isSessionError(error, 'store_unavailable')).toBe(true);
        expect((error as Error).message).toMatch(/^\[tessera\] \[redis\] /);
        expect(ms).toBeLessThan(TIMEOUT + 1000);
      }

      await server.start();
      await recovers(() => store.load(key, { now, touchIntervalMs: 0 }));
      // The update answered with store_unavailable must not have been queued and run on reconnect.
      await new Promise((r) => setTimeout(r, 200));
      const back = await store.load(key, { now, touchIntervalMs: 60_000 });
      expect(back.status).toBe('found');
      expect(back.status === 'found' && back.session.data).toEqual({});
      const again = keyFor(store);
      expect(await store.create(again, storedSession({ now }), { now })).toBe(true);
      expect((await store.load(again, { now, touchIntervalMs: 60_000 })).status).toBe('found');
    }, 30_000);
  }
});
