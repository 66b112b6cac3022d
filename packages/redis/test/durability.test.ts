/**
 * `durability: { replicas, timeoutMs }`: WAIT sent with the login (rotate), logout (destroy)
 * and revoke scripts in one pipeline, on the connection (and Cluster node) that took the
 * write. Proven on a master with a real replica (MONITOR shows EVALSHA then WAIT from one
 * client address; the replica has the session as soon as login returns), on a master
 * without replicas (the shortfall throws or is reported), and on a local Cluster.
 */
import { isSessionError, type SessionStore } from '@tessera/session-core';
import { keyFor, rejectionOf, storedSession } from '@tessera/session-testing';
import {
  type RedisCluster,
  type RedisServer,
  redisCommand,
  startRedis,
  startRedisCluster,
  waitFor,
} from '@tessera/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type DurabilityShortfall, redisStore } from '../src/index.js';
import { fakeClient } from './fake-client.js';
import {
  CLIENT_KINDS,
  type ClientKind,
  client,
  clusterClient,
  connect,
  connectCluster,
  noCluster,
  noRedis,
  ready,
  type TestConnection,
} from './helpers.js';

const limit = { max: 10, onLimit: 'evict-oldest' } as const;

async function login(store: SessionStore, userId: string) {
  const now = Date.now();
  const key = keyFor(store, userId);
  const result = await store.rotate({
    now,
    from: null,
    to: { key, session: storedSession({ userId, now }) },
    limit,
  });
  return { key, result };
}

describe('durability options', () => {
  const fake = fakeClient;
  it('rejects bad replicas / timeoutMs / onShortfall with invalid_config', () => {
    for (const durability of [
      { replicas: -1, timeoutMs: 100 },
      { replicas: 1.5, timeoutMs: 100 },
      { replicas: 1, timeoutMs: 0 },
      { replicas: 1, timeoutMs: Number.NaN },
      { replicas: 1, timeoutMs: 100, onShortfall: 'log' },
    ]) {
      const error = (() => {
        try {
          redisStore({ client: fake, durability: durability as never });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(isSessionError(error, 'invalid_config')).toBe(true);
      expect((error as Error).message).toMatch(/durability/);
    }
  });
  it('needs a client with pipeline()', () => {
    const noPipeline = { ...fake, pipeline: undefined } as unknown as Redis;
    expect(() => redisStore({ client: noPipeline, durability: { replicas: 1, timeoutMs: 100 } })).toThrow(
      /pipeline/,
    );
    // replicas 0 means off: no pipeline needed.
    expect(() =>
      redisStore({ client: noPipeline, durability: { replicas: 0, timeoutMs: 100 } }),
    ).not.toThrow();
  });
});

describe.skipIf(noRedis)('durability on a standalone master', () => {
  let master: RedisServer;
  let replica: RedisServer | undefined;
  let replicaPort = 0;
  const clients: Redis[] = [];
  beforeAll(async () => {
    master = await startRedis();
    replica = await startRedis({ replicaOf: master.port });
    replicaPort = replica.port;
    await waitFor(
      async () => (await redisCommand(replicaPort, 'INFO replication')).includes('master_link_status:up'),
      15_000,
      'replica link up',
    );
  }, 30_000);
  const connections: TestConnection[] = [];
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    for (const c of connections) await c.close();
    await replica?.stop();
    await master?.stop();
  });
  const make = (): Redis => {
    const c = client(master.url);
    c.on('error', () => {});
    clients.push(c);
    return c;
  };

  /** The store's client, of either package. */
  const storeClient = async (kind: ClientKind) => {
    const c = await connect(kind, master.url);
    connections.push(c);
    return c.client;
  };

  for (const kind of CLIENT_KINDS)
    it(`${kind}: login and logout with replicas: 1: EVALSHA and WAIT share a round trip, the replica has the write on return`, async () => {
      const redis = await storeClient(kind);
      const monitor = await make().monitor();
      monitor.on('error', () => {});
      clients.push(monitor);
      const seen: { command: string; addr: string }[] = [];
      monitor.on('monitor', (_t: string, args: string[], source: string) => {
        seen.push({ command: String(args[0]).toLowerCase(), addr: source });
      });
      const store = redisStore({ client: redis, durability: { replicas: 1, timeoutMs: 1000 } });
      for (let i = 0; i < 5; i++) {
        const { key, result } = await login(store, 'dora');
        expect(result.status).toBe('ok');
        // No sleep: the answer only came after the replica acknowledged.
        const replicaClient = new Redis({ port: replicaPort, host: '127.0.0.1', lazyConnect: true });
        clients.push(replicaClient);
        expect(await replicaClient.exists(`tessera:{${key.tag}}s:${key.id}`)).toBe(1);
        expect(await store.destroy(key, { now: Date.now(), userId: 'dora' })).toBe(true);
        expect(await replicaClient.exists(`tessera:{${key.tag}}s:${key.id}`)).toBe(0);
        replicaClient.disconnect();
      }
      await new Promise((r) => setTimeout(r, 200));
      // Commands run inside a script show source "lua": keep the client's own round trips.
      const mine = seen.filter((s) => !s.addr.includes('lua') && s.command !== 'exists');
      const waits = mine.filter((s) => s.command === 'wait');
      // 10, plus one per script the server had not cached yet (NOSCRIPT: EVAL and WAIT again).
      expect(waits.length).toBeGreaterThanOrEqual(10);
      expect(waits.length).toBeLessThanOrEqual(12);
      monitor.disconnect();
      // Each WAIT directly follows its script, from the same client connection.
      for (let i = 0; i < mine.length; i++) {
        if (mine[i]!.command !== 'wait') continue;
        const before = mine[i - 1]!;
        expect(['evalsha', 'eval']).toContain(before.command);
        expect(before.addr).toBe(mine[i]!.addr);
      }
    });

  it('revocations with replicas: 1: the replica no longer has the revoked sessions when the call returns', async () => {
    const redis = make();
    await ready(redis);
    const store = redisStore({ client: redis, durability: { replicas: 1, timeoutMs: 1000 } });
    const replicaClient = new Redis({ port: replicaPort, host: '127.0.0.1', lazyConnect: true });
    clients.push(replicaClient);
    const onReplica = async (key: { tag: string; id: string }) =>
      replicaClient.exists(`tessera:{${key.tag}}s:${key.id}`);
    for (let i = 0; i < 3; i++) {
      const keys = [];
      for (let j = 0; j < 3; j++) keys.push((await login(store, 'ida')).key);
      const [first, ...rest] = keys;
      const handle = (await store.listUserSessions('ida', { now: Date.now() })).find(
        (s) => s.key.id === first!.id,
      )!.handle;
      expect(await store.revokeUserSessions('ida', { now: Date.now(), only: handle })).toBe(1);
      // No sleep: the answer only came after the replica acknowledged.
      expect(await onReplica(first!)).toBe(0);
      expect(await store.revokeUserSessions('ida', { now: Date.now() })).toBe(2);
      for (const key of rest) expect(await onReplica(key)).toBe(0);
    }
  });

  for (const kind of CLIENT_KINDS)
    it(`${kind}: fewer replicas than asked: login throws store_unavailable (the write stands on the master)`, async () => {
      const redis = await storeClient(kind);
      const store = redisStore({ client: redis, durability: { replicas: 2, timeoutMs: 100 } });
      const now = Date.now();
      const key = keyFor(store, 'eve');
      const error = await rejectionOf(
        store.rotate({ now, from: null, to: { key, session: storedSession({ userId: 'eve', now }) }, limit }),
      );
      expect(isSessionError(error, 'store_unavailable')).toBe(true);
      expect((error as Error).message).toMatch(/only 1 of 2 replica/);
      expect((await store.load(key, { now, touchIntervalMs: 60_000 })).status).toBe('found');
      // A logout that removes nothing has nothing to lose: no shortfall.
      expect(await store.destroy(keyFor(store, 'eve'), { now, userId: 'eve' })).toBe(false);
      // A revocation that removed sessions is refused the same way (and stands on the master).
      const revoke = await rejectionOf(store.revokeUserSessions('eve', { now }));
      expect(isSessionError(revoke, 'store_unavailable')).toBe(true);
      expect((revoke as Error).message).toMatch(/^\[tessera\] \[redis\] revoke written on the master/);
      expect((await store.load(key, { now, touchIntervalMs: 60_000 })).status).toBe('missing');
      // Nothing left to revoke: nothing to lose, no shortfall.
      expect(await store.revokeUserSessions('eve', { now })).toBe(0);
      expect(await store.revokeUserSessions('eve', { now, only: 'no-such-handle' })).toBe(0);
    });

  it('onShortfall reports instead of throwing', async () => {
    const redis = make();
    await ready(redis);
    const seen: DurabilityShortfall[] = [];
    const store = redisStore({
      client: redis,
      durability: { replicas: 2, timeoutMs: 50, onShortfall: (s) => seen.push(s) },
    });
    const { key, result } = await login(store, 'fay');
    expect(result.status).toBe('ok');
    expect(await store.destroy(key, { now: Date.now(), userId: 'fay' })).toBe(true);
    await login(store, 'fay');
    const [only] = await store.listUserSessions('fay', { now: Date.now() });
    expect(await store.revokeUserSessions('fay', { now: Date.now(), only: only!.handle })).toBe(1);
    await login(store, 'fay');
    expect(await store.revokeUserSessions('fay', { now: Date.now() })).toBe(1);
    expect(seen).toEqual([
      { operation: 'login', acknowledged: 1, wanted: 2 },
      { operation: 'logout', acknowledged: 1, wanted: 2 },
      { operation: 'login', acknowledged: 1, wanted: 2 },
      { operation: 'revoke', acknowledged: 1, wanted: 2 },
      { operation: 'login', acknowledged: 1, wanted: 2 },
      { operation: 'revoke', acknowledged: 1, wanted: 2 },
    ]);
  });

  it('a master that is down fails within timeoutMs + durability.timeoutMs', async () => {
    const redis = make();
    redis.on('error', () => {});
    await ready(redis);
    const store = redisStore({ client: redis, timeoutMs: 300, durability: { replicas: 1, timeoutMs: 300 } });
    await master.stop();
    try {
      const t0 = Date.now();
      const error = await rejectionOf(login(store, 'gus'));
      expect(isSessionError(error, 'store_unavailable')).toBe(true);
      expect(Date.now() - t0).toBeLessThan(600 + 1000);
    } finally {
      await master.start();
    }
  });
});

const CLUSTER_TAG_SECRET = 'durability-cluster-tag-secret-0123456789';

describe.skipIf(noRedis || noCluster)('durability on a local Cluster (3 masters + 3 replicas)', () => {
  let cluster: RedisCluster;
  let redis: ReturnType<typeof clusterClient>;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    redis = clusterClient(cluster.nodes);
    await ready(redis);
  }, 60_000);
  afterAll(async () => {
    redis?.disconnect();
    await cluster?.stop();
  });

  for (const kind of CLIENT_KINDS)
    it(`${kind}: WAIT goes to the node that took the write: every login, logout and revocation is acknowledged by its replica`, async () => {
      const conn = await connectCluster(kind, cluster.nodes);
      onTestFinished(() => conn.close());
      const shortfalls: DurabilityShortfall[] = [];
      const store = redisStore({
        client: conn.client,
        keyPrefix: `tessera-${kind}:`,
        tagSecret: CLUSTER_TAG_SECRET,
        durability: { replicas: 1, timeoutMs: 500, onShortfall: (s) => shortfalls.push(s) },
      });
      // Users spread over all three masters; the first call per node also takes the NOSCRIPT path.
      for (let i = 0; i < 30; i++) {
        const userId = `cluster-user-${i}`;
        const { key, result } = await login(store, userId);
        expect(result.status).toBe('ok');
        expect(await store.destroy(key, { now: Date.now(), userId })).toBe(true);
        await login(store, userId);
        expect(await store.revokeUserSessions(userId, { now: Date.now() })).toBe(1);
      }
      expect(shortfalls).toEqual([]);
    });

  /** Client connections on every node, not counting the ones asking. */
  async function connectionsOnAllNodes(): Promise<number> {
    let sum = 0;
    for (const { port } of cluster.nodes) {
      const list = await redisCommand(port, 'CLIENT LIST');
      // Replication links (flags S and M) are not clients.
      sum +=
        list.split('\n').filter((line) => line.startsWith('id=') && !/ flags=\w*[SM]/.test(line)).length - 1;
    }
    return sum;
  }

  // The lane is a duplicate Cluster client: it must end with the user's (see durable-lane.test.ts).
  for (const kind of CLIENT_KINDS)
    it(`${kind}: the durable connection (a duplicate Cluster client) is closed with the client`, async () => {
      const base = await connectionsOnAllNodes();
      const conn = await connectCluster(kind, cluster.nodes);
      let open = true;
      onTestFinished(() => (open ? conn.close() : undefined));
      const withClient = await connectionsOnAllNodes();
      expect(withClient).toBeGreaterThan(base);
      const store = redisStore({
        client: conn.client,
        keyPrefix: `tessera-${kind}:`,
        tagSecret: CLUSTER_TAG_SECRET,
        durability: { replicas: 1, timeoutMs: 500 },
      });
      expect((await login(store, 'lane-user')).result.status).toBe('ok');
      expect(await connectionsOnAllNodes()).toBeGreaterThan(withClient);
      await conn.close();
      open = false;
      await waitFor(async () => (await connectionsOnAllNodes()) <= base, 5000, 'lane closed with the client');
    });

  /** WAIT calls every node has run so far (INFO commandstats). */
  async function waitsOnAllNodes(): Promise<number> {
    let sum = 0;
    for (const { port } of cluster.nodes) {
      const stats = await redisCommand(port, 'INFO commandstats');
      sum += Number(/cmdstat_wait:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    }
    return sum;
  }

  // node-redis 6 sends a bare WAIT to every shard and answers the lowest count: one master
  // without a replica then failed every durable login on the others (found by the failover test).
  for (const kind of CLIENT_KINDS)
    it(`${kind}: one WAIT per durable write, on the writing master only (not one per shard)`, async () => {
      const conn = await connectCluster(kind, cluster.nodes);
      onTestFinished(() => conn.close());
      const store = redisStore({
        client: conn.client,
        keyPrefix: `tessera-waits-${kind}:`,
        tagSecret: CLUSTER_TAG_SECRET,
        durability: { replicas: 1, timeoutMs: 500 },
      });
      // The scripts cached on every master first, so no NOSCRIPT retry adds a WAIT below.
      for (let i = 0; i < 10; i++) await login(store, `warm-${kind}-${i}`);
      const before = await waitsOnAllNodes();
      for (let i = 0; i < 6; i++) expect((await login(store, `waits-${kind}-${i}`)).result.status).toBe('ok');
      expect((await waitsOnAllNodes()) - before).toBe(6);
    });

  it('anonymous -> user across slots is acknowledged on both nodes', async () => {
    const store = redisStore({
      client: redis,
      tagSecret: CLUSTER_TAG_SECRET,
      durability: { replicas: 1, timeoutMs: 500 },
    });
    for (let i = 0; i < 10; i++) {
      const now = Date.now();
      const anon = keyFor(store);
      await store.create(anon, storedSession({ now }), { now });
      const userId = `cross-${i}`;
      const key = keyFor(store, userId);
      const r = await store.rotate({
        now,
        from: { key: anon, userId: null },
        to: { key, session: storedSession({ userId, now }) },
        limit,
      });
      expect(r.status).toBe('ok');
      expect((await store.load(anon, { now, touchIntervalMs: 60_000 })).status).toBe('missing');
    }
  });
});
