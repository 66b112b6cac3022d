/**
 * What only node-redis has: its three client shapes told apart without importing the
 * package in the store, its own `keyPrefix` (which raw commands bypass), both RESP versions,
 * and a client that is closed or was never connected.
 */
import { isSessionError } from '@tessera/session-core';
import { keyFor, sessionErrorOf, storedSession } from '@tessera/session-testing';
import { type RedisServer, startRedis } from '@tessera/test-support';
import { createClient, createCluster, createSentinel } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore } from '../src/index.js';
import { connect, noRedis, type TestConnection } from './helpers.js';

const MIN = 60_000;

describe('node-redis clients at construction (nothing connects)', () => {
  it('accepts createClient(), createCluster() and createSentinel(); a Cluster needs tagSecret like ioredis', () => {
    expect(() => redisStore({ client: createClient() })).not.toThrow();
    expect(() => redisStore({ client: createClient({ RESP: 2 }) })).not.toThrow();
    const cluster = createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:1' }] });
    expect(sessionErrorOf(() => redisStore({ client: cluster }))).toMatch(/tagSecret/);
    expect(() => redisStore({ client: cluster, tagSecret: 'x'.repeat(32) })).not.toThrow();
    const sentinel = createSentinel({
      name: 'mymaster',
      sentinelRootNodes: [{ host: '127.0.0.1', port: 1 }],
    });
    expect(() => redisStore({ client: sentinel, durability: { replicas: 1, timeoutMs: 100 } })).not.toThrow();
  });

  it('refuses nearCache (ioredis only), naming the reason', () => {
    expect(sessionErrorOf(() => redisStore({ client: createClient(), nearCache: {} }))).toMatch(
      /nearCache.*ioredis/,
    );
  });

  it("checks the client's keyPrefix with the store's: no braces", () => {
    expect(sessionErrorOf(() => redisStore({ client: createClient({ keyPrefix: '{app}:' }) }))).toMatch(
      /client's `keyPrefix`/,
    );
  });
});

describe.skipIf(noRedis)('node-redis against a throwaway redis-server', () => {
  let server: RedisServer;
  const open: TestConnection[] = [];
  beforeAll(async () => {
    server = await startRedis();
  }, 20_000);
  afterAll(async () => {
    for (const c of open) await c.close();
    await server?.stop();
  });
  const conn = async (extra: Parameters<typeof connect>[2] = {}) => {
    const c = await connect('node-redis', server.url, extra);
    open.push(c);
    return c;
  };

  it("the client's keyPrefix is honoured: keys land under it, as with ioredis' keyPrefix", async () => {
    const c = await conn({ nodeRedis: { keyPrefix: 'app:' } });
    const store = redisStore({ client: c.client });
    const now = Date.now();
    const key = keyFor(store);
    await store.create(key, storedSession({ now }), { now });
    // Raw commands bypass node-redis' prefix: the name below is exactly the server's.
    expect(Number(await c.cmd('EXISTS', `app:tessera:{${key.tag}}s:${key.id}`))).toBe(1);
    expect((await store.load(key, { now, touchIntervalMs: MIN })).status).toBe('found');
  });

  it('RESP2 and RESP3 clients read the same sessions (list included)', async () => {
    const resp2 = redisStore({ client: (await conn({ nodeRedis: { RESP: 2 } })).client });
    const resp3 = redisStore({ client: (await conn({ nodeRedis: { RESP: 3 } })).client });
    const now = Date.now();
    const u = 'resp-user';
    const key = keyFor(resp2, u);
    const session = storedSession({ userId: u, now, data: { cart: [1, 2], n: null } });
    await resp2.rotate({ now, from: null, to: { key, session }, limit: { max: 5, onLimit: 'reject' } });
    for (const store of [resp2, resp3]) {
      const r = await store.load(key, { now, touchIntervalMs: MIN });
      expect(r.status === 'found' && r.session).toEqual(session);
      expect((await store.listUserSessions(u, { now })).map((s) => s.key.id)).toEqual([key.id]);
    }
    expect(await resp3.update(key, { set: { n: '1' }, unset: [] }, { now })).toBe('ok');
    const after = await resp2.load(key, { now, touchIntervalMs: MIN });
    expect(after.status === 'found' && after.session.data.n).toBe('1');
  });

  it('a closed client fails at once with store_unavailable, not after the timeout', async () => {
    const c = await conn();
    const store = redisStore({ client: c.client, timeoutMs: 5_000 });
    await c.close();
    const t0 = Date.now();
    const error = await store.load(keyFor(store), { now: t0, touchIntervalMs: MIN }).catch((e: unknown) => e);
    expect(isSessionError(error, 'store_unavailable')).toBe(true);
    expect((error as Error).message).toMatch(/not open/);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});
