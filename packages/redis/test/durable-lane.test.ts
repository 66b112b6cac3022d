/**
 * `durability`'s writes go through a connection of the store's own (the durable lane), so a
 * WAIT that no replica answers (a shard that lost its replica) holds up only durable writes,
 * never the reads and updates on the client's connection; and that connection lives no
 * longer than the client or the store. On a real master with no replica, on both clients.
 */
import { isSessionError } from '@tessera/session-core';
import { keyFor, rejectionOf, storedSession } from '@tessera/session-testing';
import { type RedisServer, redisCommand, startRedis, waitFor } from '@tessera/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore } from '../src/index.js';
import { CLIENT_KINDS, connect, noRedis } from './helpers.js';

const limit = { max: 10, onLimit: 'evict-oldest' } as const;

/** Client connections on the server, not counting the one asking. */
async function connections(port: number): Promise<number> {
  const list = await redisCommand(port, 'CLIENT LIST');
  return list.split('\n').filter((line) => line.startsWith('id=')).length - 1;
}

describe.skipIf(noRedis)('durability: the durable lane (a master without replicas)', () => {
  let master: RedisServer;
  beforeAll(async () => {
    master = await startRedis();
  }, 30_000);
  afterAll(async () => {
    await master?.stop();
  });

  for (const kind of CLIENT_KINDS) {
    it(`${kind}: a WAIT no replica answers holds up logins and logouts only: reads and updates on the same client go on`, async () => {
      const conn = await connect(kind, master.url);
      try {
        const store = redisStore({
          client: conn.client,
          timeoutMs: 1000,
          durability: { replicas: 1, timeoutMs: 1500 },
        });
        const now = Date.now();
        const reader = keyFor(store);
        expect(await store.create(reader, storedSession({ now, data: { n: 1 } }), { now })).toBe(true);
        const settled: string[] = [];
        // Two logins (two WAITs of 1.5 s each, back to back on the lane) ...
        const logins = ['ann', 'bob'].map((userId) =>
          store
            .rotate({
              now,
              from: null,
              to: { key: keyFor(store, userId), session: storedSession({ userId, now }) },
              limit,
            })
            .then(
              () => settled.push('login ok'),
              (error: unknown) =>
                settled.push(isSessionError(error, 'store_unavailable') ? 'login 503' : 'login ?'),
            ),
        );
        // ... then, sent after them on the same client, a read and an update of another session.
        await new Promise((r) => setTimeout(r, 50));
        const read = store.load(reader, { now, touchIntervalMs: 0 }).then((r) => {
          settled.push(`load ${r.status}`);
        });
        const update = store.update(reader, { set: { n: '2' }, unset: [] }, { now }).then((r) => {
          settled.push(`update ${r}`);
        });
        await Promise.all([read, update]);
        // Answered while the logins still wait for a replica that is not there.
        expect([...settled].sort()).toEqual(['load found', 'update ok']);
        await Promise.all(logins);
        // No replica acknowledged: each login is refused (its write stands on the master).
        expect(settled.slice(2)).toEqual(['login 503', 'login 503']);
      } finally {
        await conn.close();
      }
    });

    it(`${kind}: the lane is opened at the first durable write and closed by store.close() and by the client's end`, async () => {
      const base = await connections(master.port);
      const conn = await connect(kind, master.url);
      const clientClosed = { done: false };
      try {
        expect(await connections(master.port)).toBe(base + 1);
        const store = redisStore({ client: conn.client, durability: { replicas: 1, timeoutMs: 50 } });
        const now = Date.now();
        // Not opened until a durable write.
        await store.load(keyFor(store), { now, touchIntervalMs: 0 });
        expect(await connections(master.port)).toBe(base + 1);
        const destroy = () => store.destroy(keyFor(store, 'cy'), { now, userId: 'cy' });
        expect(await destroy()).toBe(false);
        expect(await connections(master.port)).toBe(base + 2);
        await store.close?.();
        await waitFor(async () => (await connections(master.port)) === base + 1, 5000, 'lane closed');
        // Closed for good: durable writes now fail; the client itself is untouched.
        expect(isSessionError(await rejectionOf(destroy()), 'store_unavailable')).toBe(true);
        expect((await store.load(keyFor(store), { now, touchIntervalMs: 0 })).status).toBe('missing');

        const second = redisStore({ client: conn.client, durability: { replicas: 1, timeoutMs: 50 } });
        expect(await second.destroy(keyFor(second, 'cy'), { now, userId: 'cy' })).toBe(false);
        expect(await connections(master.port)).toBe(base + 2);
        // The owner closes the client and never calls store.close(): the lane goes with it,
        // so it holds no process open.
        await conn.close();
        clientClosed.done = true;
        await waitFor(
          async () => (await connections(master.port)) === base,
          5000,
          'lane closed with the client',
        );
      } finally {
        if (!clientClosed.done) await conn.close();
      }
    });
  }
});
