/**
 * Store down: a throwaway redis-server is killed and restarted on the same port. Calls fail
 * fast with the typed error (never queue), and succeed again after the restart without
 * recreating the client or the store.
 */
import { isSessionError, type SessionStore } from '@tessera/session-core';
import { keyFor, storedSession } from '@tessera/session-testing';
import { type RedisServer, startRedis } from '@tessera/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore } from '../src/index.js';
import { client, noRedis, ready } from './helpers.js';

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

describe.skipIf(noRedis)('store down and recovery (throwaway redis-server, killed and restarted)', () => {
  let server: RedisServer;
  const clients: Redis[] = [];
  beforeAll(async () => {
    server = await startRedis();
  }, 20_000);
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await server?.stop();
  });

  const cases: [string, () => Redis][] = [
    ['a client configured as the README says (no offline queue)', () => client(server.url)],
    // ioredis defaults: offline queue on, 20 retries. The store's own timer and readiness
    // gate still bound every call.
    ['a client with ioredis defaults', () => new Redis(server.url)],
  ];

  for (const [name, make] of cases) {
    it(`${name}: typed error within the timeout while down, success after restart`, async () => {
      const redis = make();
      clients.push(redis);
      redis.on('error', () => {});
      await ready(redis);
      const store: SessionStore = redisStore({ client: redis, timeoutMs: TIMEOUT });
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
      // The restarted server is empty (no persistence): success is an answer, not data.
      await recovers(() => store.load(key, { now, touchIntervalMs: 0 }));
      expect((await store.load(key, { now, touchIntervalMs: 0 })).status).toBe('missing');
      const again = keyFor(store);
      expect(await store.create(again, storedSession({ now }), { now })).toBe(true);
      expect((await store.load(again, { now, touchIntervalMs: 60_000 })).status).toBe('found');
    }, 30_000);
  }
});
