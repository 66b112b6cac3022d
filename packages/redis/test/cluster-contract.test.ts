/**
 * The conformance suite on a real local Cluster (3 masters + 3 replicas), plus what only a
 * Cluster can show: one user's keys share a slot, and the anonymous -> user rotation that
 * crosses slots stays single-use under concurrency.
 */
import type { SessionStore } from '@tessera/session-core';
import { describeStoreContract, keyFor, storedSession } from '@tessera/session-testing';
import { type RedisCluster, startRedisCluster } from '@tessera/test-support';
import type { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore } from '../src/index.js';
import { CLIENT_KINDS, connectCluster, noCluster, noRedis, type TestConnection } from './helpers.js';

let cluster: RedisCluster;
const TAG_SECRET = 'cluster-contract-tag-secret-0123456789';

describe.skipIf(noRedis || noCluster)('redis cluster', () => {
  // One cluster for both clients; each client's keys under its own prefix.
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  for (const kind of CLIENT_KINDS) describe(kind, () => clusterSuite(kind));

  // A node-redis Cluster says it is ready with 'connect', not 'ready': a call made while it
  // was still connecting waited for an event that never came, and timed out.
  it('node-redis: a call made while the Cluster is still connecting is answered once it is up', async () => {
    const c = createCluster({
      rootNodes: cluster.nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })),
    });
    c.on('error', () => {});
    const connecting = c.connect();
    try {
      const store = redisStore({ client: c, tagSecret: TAG_SECRET, timeoutMs: 1500 });
      const now = Date.now();
      expect(c.isReady).toBe(false);
      expect((await store.load(keyFor(store), { now, touchIntervalMs: 60_000 })).status).toBe('missing');
    } finally {
      await connecting;
      c.destroy();
    }
  });
});

function clusterSuite(kind: (typeof CLIENT_KINDS)[number]): void {
  const P = kind === 'ioredis' ? 'tessera:' : 'tessera-nr:';
  let redis: TestConnection;
  let store: SessionStore;
  beforeAll(async () => {
    redis = await connectCluster(kind, cluster.nodes);
    store = redisStore({ client: redis.client, tagSecret: TAG_SECRET, keyPrefix: P });
  }, 60_000);
  afterAll(async () => {
    await redis?.close();
  });

  describeStoreContract({
    name: `redis on ${kind} (local Cluster, 3 masters + 3 replicas)`,
    makeStore: () => store,
    corrupt: async (_store, key) => {
      await redis.cmd('HSET', `${P}{${key.tag}}s:${key.id}`, 'v', '1', 'h', 'x', 'l', 'not-a-number');
    },
  });

  const slot = async (key: string) => Number(await redis.cmd('CLUSTER', 'KEYSLOT', key));
  const limit = { max: 5, onLimit: 'evict-oldest' } as const;

  it('all of a user\u2019s sessions and its index share one slot', async () => {
    const u = 'slot-user';
    const now = Date.now();
    const keys = [keyFor(store, u), keyFor(store, u), keyFor(store, u)];
    for (const key of keys) {
      await store.rotate({ now, from: null, to: { key, session: storedSession({ userId: u, now }) }, limit });
    }
    const names = [...keys.map((k) => `${P}{${k.tag}}s:${k.id}`), `${P}{${keys[0]!.tag}}u:${u}`];
    for (const name of names) expect(Number(await redis.cmd('EXISTS', name))).toBe(1);
    const slots = new Set(await Promise.all(names.map(slot)));
    expect(slots.size).toBe(1);
  });

  it.runIf(kind === 'ioredis')(
    'write coalescing: loads of one slot started together reach its master in one read',
    async () => {
      const u = 'coalesce-user';
      const now = Date.now();
      const keys = Array.from({ length: 30 }, () => keyFor(store, u));
      const many = { max: 100, onLimit: 'evict-oldest' } as const;
      for (const key of keys)
        await store.rotate({
          now,
          from: null,
          to: { key, session: storedSession({ userId: u, now }) },
          limit: many,
        });
      const client = redis.client as Cluster;
      const s = await slot(`${P}{${keys[0]!.tag}}`);
      const [host, port] = String(client.slots[s]![0]).split(':');
      const master = client
        .nodes('master')
        .find((n) => n.options.host === host && n.options.port === Number(port))!;
      const reads = async () => Number(/total_reads_processed:(\d+)/.exec(await master.info('stats'))![1]);
      await new Promise((r) => setImmediate(r));
      const before = await reads();
      await new Promise((r) => setImmediate(r));
      const loaded = await Promise.all(keys.map((key) => store.load(key, { now, touchIntervalMs: 60_000 })));
      await new Promise((r) => setImmediate(r));
      // The INFO after is one read event of its own.
      expect((await reads()) - before - 1).toBe(1);
      expect(loaded.every((l) => l.status === 'found')).toBe(true);
    },
  );

  /** An anonymous key whose slot differs from the user's, so the rotation must cross slots. */
  async function crossSlotAnon(userId: string) {
    const userSlot = await slot(`${P}{${store.shardTag!(userId)}}`);
    for (let i = 0; i < 20; i++) {
      const key = keyFor(store);
      if ((await slot(`${P}{${key.tag}}`)) !== userSlot) {
        const now = Date.now();
        await store.create(key, storedSession({ now, data: { cart: [1] } }), { now });
        return key;
      }
    }
    throw new Error('no cross-slot tag in 20 tries');
  }

  it('anonymous -> user across slots: the old session goes, the new one is indexed', async () => {
    const u = 'cross-user';
    const anon = await crossSlotAnon(u);
    const now = Date.now();
    const key = keyFor(store, u);
    const r = await store.rotate({
      now,
      from: { key: anon, userId: null },
      to: { key, session: storedSession({ userId: u, now, data: { cart: [1] } }) },
      limit,
    });
    expect(r).toEqual({ status: 'ok', evicted: [] });
    expect((await store.load(anon, { now, touchIntervalMs: 60_000 })).status).toBe('missing');
    expect((await store.load(key, { now, touchIntervalMs: 60_000 })).status).toBe('found');
    expect((await store.listUserSessions(u, { now })).map((s) => s.key.id)).toEqual([key.id]);
  });

  it('concurrent cross-slot rotations of one anonymous session: exactly one wins, the loser leaves nothing', async () => {
    for (let round = 0; round < 5; round++) {
      const u = `race-user-${round}`;
      const anon = await crossSlotAnon(u);
      const now = Date.now();
      const targets = Array.from({ length: 4 }, () => keyFor(store, u));
      const results = await Promise.all(
        targets.map((key) =>
          store.rotate({
            now,
            from: { key: anon, userId: null },
            to: { key, session: storedSession({ userId: u, now }) },
            limit,
          }),
        ),
      );
      expect(results.filter((r) => r.status === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'conflict')).toHaveLength(3);
      const live = await Promise.all(targets.map((k) => store.load(k, { now, touchIntervalMs: 60_000 })));
      expect(live.filter((l) => l.status === 'found')).toHaveLength(1);
      expect(await store.listUserSessions(u, { now })).toHaveLength(1);
    }
  });

  it('a cross-slot login refused by the cap (reject) leaves the anonymous session intact', async () => {
    const u = 'cap-user';
    const now = Date.now();
    const reject = { max: 1, onLimit: 'reject' } as const;
    await store.rotate({
      now,
      from: null,
      to: { key: keyFor(store, u), session: storedSession({ userId: u, now }) },
      limit: reject,
    });
    const anon = await crossSlotAnon(u);
    const r = await store.rotate({
      now,
      from: { key: anon, userId: null },
      to: { key: keyFor(store, u), session: storedSession({ userId: u, now }) },
      limit: reject,
    });
    expect(r.status).toBe('limit');
    expect((await store.load(anon, { now, touchIntervalMs: 60_000 })).status).toBe('found');
  });
}
