/**
 * The near cache on a local Cluster (3 masters + 3 replicas): tracking is per node, so the
 * store opens one invalidation connection per master, a change on any master reaches this
 * process, and losing one master's connection flushes everything.
 */
import type { SessionKey, SessionStore } from '@tessera/session-core';
import { keyFor, storedSession } from '@tessera/session-testing';
import { type RedisCluster, startRedisCluster, waitFor } from '@tessera/test-support';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore } from '../src/index.js';
import { clusterClient, noCluster, noRedis, ready } from './helpers.js';
import { MIN, nearCacheClients, tripsOf, untilCached } from './near-cache-helpers.js';

const TAG_SECRET = 'near-cache-cluster-tag-secret-0123456789';

describe.skipIf(noRedis || noCluster)('redis near cache on Cluster', () => {
  let cluster: RedisCluster;
  let redis: Cluster;
  let other: Cluster;
  let masters: Redis[];
  let store: SessionStore;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    redis = clusterClient(cluster.nodes);
    other = clusterClient(cluster.nodes);
    await Promise.all([ready(redis), ready(other)]);
    masters = other.nodes('master');
    store = redisStore({ client: redis, tagSecret: TAG_SECRET, nearCache: {} });
  }, 60_000);
  afterAll(async () => {
    await store?.close?.();
    redis?.disconnect();
    other?.disconnect();
    await cluster?.stop();
  });

  /** One signed-in session per master, so every node's channel is exercised. */
  async function sessionPerMaster(): Promise<{ key: SessionKey; name: string; owner: string }[]> {
    const byNode = new Map<string, { key: SessionKey; name: string; owner: string }>();
    const now = Date.now();
    for (let i = 0; byNode.size < masters.length && i < 200; i++) {
      const userId = `user-${i}`;
      const key = keyFor(store, userId);
      const name = `tessera:{${key.tag}}s:${key.id}`;
      const slot = Number(await other.call('CLUSTER', 'KEYSLOT', name));
      const owner = (other as unknown as { slots: string[][] }).slots[slot]?.[0] ?? '';
      if (byNode.has(owner)) continue;
      const session = storedSession({ userId, now, data: { n: 1 } });
      await store.rotate({ now, from: null, to: { key, session }, limit: { max: 10, onLimit: 'reject' } });
      byNode.set(owner, { key, name, owner });
    }
    expect(byNode.size).toBe(masters.length);
    return [...byNode.values()];
  }

  it('opens one tracking connection per master', async () => {
    await waitFor(async () => {
      const counts = await Promise.all(masters.map((m) => nearCacheClients(m)));
      return counts.every((ids) => ids.length === 1);
    }, 5000);
  });

  it('serves hits with no round trip on any node, and a change on any master invalidates', async () => {
    const sessions = await sessionPerMaster();
    for (const { key } of sessions) await untilCached(masters, store, key);
    const now = Date.now();
    expect(
      await tripsOf(masters, async () => {
        for (const { key } of sessions) await store.load(key, { now, touchIntervalMs: MIN });
      }),
    ).toBe(0);
    for (const { key, name } of sessions) {
      await other.hset(name, 'd:n', '2');
      await waitFor(async () => {
        const r = await store.load(key, { now: Date.now(), touchIntervalMs: MIN });
        return r.status === 'found' && r.session.data.n === '2';
      }, 1000);
    }
  });

  it('revocation on one master is refused here; losing one master\u2019s channel serves nothing stale', async () => {
    const sessions = await sessionPerMaster();
    for (const { key } of sessions) await untilCached(masters, store, key);
    const victim = sessions[0]!;
    await other.del(victim.name);
    await waitFor(
      async () =>
        (await store.load(victim.key, { now: Date.now(), touchIntervalMs: MIN })).status === 'missing',
      1000,
    );
    // Kill the channel of the master owning sessions[1], then change it behind the store's back.
    const target = sessions[1]!;
    const node = masters.find((m) => `${m.options.host}:${m.options.port}` === target.owner);
    if (node === undefined) throw new Error(`no master ${target.owner}`);
    for (const id of await nearCacheClients(node)) await node.client('KILL', 'ID', id);
    await other.hset(target.name, 'd:n', '3');
    await new Promise((r) => setImmediate(r));
    const r = await store.load(target.key, { now: Date.now(), touchIntervalMs: MIN });
    expect(r).toMatchObject({ status: 'found', session: { data: { n: '3' } } });
    // Back: every master tracked again and hits served again.
    await untilCached(masters, store, target.key);
  });
});
