/**
 * The near cache in one process on a throwaway redis-server: zero round trips on a hit, a
 * touch when due, invalidation by this store's writes (before they return) and by other
 * connections, the read/invalidate race, bounded memory and staleness, frozen entries,
 * and fail-safe on the loss of the invalidation connection.
 */
import { SessionError, type SessionKey, type SessionStore } from '@tessera/session-core';
import { keyFor, storedSession } from '@tessera/session-testing';
import { type RedisServer, startRedis, waitFor } from '@tessera/test-support';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore } from '../src/index.js';
import { NearCache } from '../src/near-cache.js';
import { client, noRedis, ready } from './helpers.js';
import { MIN, nearCacheClients, tripsOf, untilCached } from './near-cache-helpers.js';

describe.skipIf(noRedis)('redis near cache (one process)', () => {
  let server: RedisServer;
  let redis: Redis;
  let other: Redis;
  let store: SessionStore;
  const stores: SessionStore[] = [];
  const trips = (work: () => Promise<unknown>) => tripsOf([other], work);

  function open(nearCache = {}): SessionStore {
    const s = redisStore({ client: redis, nearCache });
    stores.push(s);
    return s;
  }

  async function login(s: SessionStore, userId: string | null = 'u1', data: Record<string, unknown> = {}) {
    const now = Date.now();
    const key = keyFor(s, userId);
    const session = storedSession({ userId, now, data });
    if (userId === null) await s.create(key, session, { now });
    else await s.rotate({ now, from: null, to: { key, session }, limit: { max: 100, onLimit: 'reject' } });
    return key;
  }

  beforeAll(async () => {
    server = await startRedis();
    redis = client(server.url);
    other = client(server.url);
    await Promise.all([ready(redis), ready(other)]);
    store = open();
    // Load the load script into the server, so a due touch below is one EVALSHA, never EVALSHA + EVAL.
    const warm = await login(store, 'warm-up');
    await store.load(warm, { now: Date.now() + 2 * MIN, touchIntervalMs: MIN });
  });
  afterAll(async () => {
    for (const s of stores) await s.close?.();
    redis?.disconnect();
    other?.disconnect();
    await server?.stop();
  });

  it('refuses bad options with invalid_config', () => {
    for (const nearCache of [
      { maxEntries: 0 },
      { maxEntries: 1.5 },
      { maxStalenessMs: 0 },
      { maxStalenessMs: 120_000 },
      { maxStalenessMs: Number.NaN },
      null,
    ]) {
      expect(() => redisStore({ client: redis, nearCache: nearCache as never })).toThrow(
        expect.objectContaining({ code: 'invalid_config' }),
      );
    }
    // A client without duplicate() (not ioredis) cannot open the invalidation channel.
    const bare = {
      status: 'ready',
      evalsha: redis.evalsha.bind(redis),
      eval: redis.eval.bind(redis),
      once: redis.once.bind(redis),
      off: redis.off.bind(redis),
    };
    expect(() => redisStore({ client: bare as never, nearCache: {} })).toThrow(SessionError);
  });

  it('a cached read makes no round trip; a due touch makes two (read, then read-and-touch) and refreshes the entry', async () => {
    const key = await login(store);
    await untilCached([other], store, key);
    const now = Date.now();
    let result: unknown;
    expect(await trips(async () => (result = await store.load(key, { now, touchIntervalMs: MIN })))).toBe(0);
    expect(result).toMatchObject({ status: 'found', touched: false, session: { userId: 'u1' } });
    // Touch due: the read, then the load script that reads again and touches, as without the
    // cache (commandstats also counts the HGETALL inside that script: 3), and the new
    // lastSeenAt comes back.
    const later = now + MIN + 1;
    expect(
      await trips(async () => (result = await store.load(key, { now: later, touchIntervalMs: MIN }))),
    ).toBe(3);
    expect(result).toMatchObject({ status: 'found', touched: true, session: { lastSeenAt: later } });
    // The touch was a write: cached again afterwards, with the touched timestamp.
    await untilCached([other], store, key, later);
    expect(await store.load(key, { now: later, touchIntervalMs: MIN })).toMatchObject({
      session: { lastSeenAt: later },
    });
  });

  it('serves a frozen copy: a caller cannot change what the next request is served', async () => {
    const key = await login(store, 'u1', { role: 'user' });
    await untilCached([other], store, key);
    const r = await store.load(key, { now: Date.now(), touchIntervalMs: MIN });
    if (r.status !== 'found') throw new Error('expected found');
    expect(() => {
      (r.session.data as Record<string, string>).role = '"admin"';
    }).toThrow(TypeError);
    expect(() => {
      (r.session as { userId: string }).userId = 'someone-else';
    }).toThrow(TypeError);
    const again = await store.load(key, { now: Date.now(), touchIntervalMs: MIN });
    expect(again).toMatchObject({ session: { userId: 'u1', data: { role: '"user"' } } });
  });

  it('after this process\u2019s own update returns, no read here is served the old copy', async () => {
    const key = await login(store, 'u1', { n: 0 });
    const now = Date.now();
    // Each round: cached, updated, read at once (the store drops the entry again when the
    // write settles; Redis also sends the invalidation ahead of the write's reply).
    for (let n = 1; n <= 50; n++) {
      await untilCached([other], store, key);
      expect(await store.update(key, { set: { n: String(n) }, unset: [] }, { now })).toBe('ok');
      expect(await store.load(key, { now, touchIntervalMs: MIN })).toMatchObject({
        session: { data: { n: String(n) } },
      });
    }
  });

  it('bug guard: a read issued while this process\u2019s update is in flight is not served the cached old copy', async () => {
    const key = await login(store, 'u1', { n: 1 });
    await store.update(key, { set: {}, unset: ['warm-the-script'] }, { now: Date.now() });
    await untilCached([other], store, key);
    const now = Date.now();
    const update = store.update(key, { set: { n: '2' }, unset: [] }, { now });
    const read = store.load(key, { now, touchIntervalMs: MIN });
    expect(await update).toBe('ok');
    // Sent after the update on the same connection, so it reads the new value: the cached
    // copy was dropped before the update was sent.
    expect(await read).toMatchObject({ status: 'found', session: { data: { n: '2' } } });
    expect(await store.load(key, { now, touchIntervalMs: MIN })).toMatchObject({
      session: { data: { n: '2' } },
    });
  });

  it('logout and revocation through this store are effective before they return', async () => {
    const now = Date.now();
    const a = await login(store, 'rev');
    const b = await login(store, 'rev');
    const c = await login(store, 'rev');
    for (const k of [a, b, c]) await untilCached([other], store, k);
    await store.destroy(a, { now, userId: 'rev' });
    expect(await store.load(a, { now, touchIntervalMs: MIN })).toEqual({ status: 'missing' });
    const bHandle = (await store.listUserSessions('rev', { now })).find((s) => s.key.id === b.id)!.handle;
    expect(await store.revokeUserSessions('rev', { now, only: bHandle })).toBe(1);
    expect(await store.load(b, { now, touchIntervalMs: MIN })).toEqual({ status: 'missing' });
    expect(await store.revokeUserSessions('rev', { now })).toBe(1);
    expect(await store.load(c, { now, touchIntervalMs: MIN })).toEqual({ status: 'missing' });
  });

  it('a change made by another connection invalidates the entry (BCAST tracking)', async () => {
    const key = await login(store, 'u2', { n: 1 });
    await untilCached([other], store, key);
    const name = `tessera:{${key.tag}}s:${key.id}`;
    await other.hset(name, 'd:n', '5');
    await waitFor(async () => {
      const r = await store.load(key, { now: Date.now(), touchIntervalMs: MIN });
      return r.status === 'found' && r.session.data.n === '5';
    }, 1000);
    // Deleted behind our back (revocation by another process, eviction, expiry): refused.
    await untilCached([other], store, key);
    await other.del(name);
    await waitFor(
      async () => (await store.load(key, { now: Date.now(), touchIntervalMs: MIN })).status === 'missing',
      1000,
    );
  });

  it('bug guard: a read that an invalidation overtook never caches what it read', () => {
    let t = 0;
    const cache = new NearCache({ maxEntries: 10, maxStalenessMs: 1000 }, () => t);
    cache.setUp(true);
    const s = storedSession({ userId: 'x' });
    // The read is sent, the key changes on the server, the invalidation arrives before the reply.
    const ticket = cache.begin('k');
    cache.invalidate('k');
    cache.end(ticket, s);
    expect(cache.get('k')).toBeUndefined();
    // Same for a flush (channel lost and back) and a user-wide revocation during the read.
    const t2 = cache.begin('k');
    cache.setUp(false);
    cache.setUp(true);
    cache.end(t2, s);
    expect(cache.get('k')).toBeUndefined();
    const t3 = cache.begin('k');
    cache.invalidateUser('x');
    cache.end(t3, s);
    expect(cache.get('k')).toBeUndefined();
    // A read with nothing in between is cached, until maxStalenessMs after it was sent.
    const t4 = cache.begin('k');
    t = 10;
    cache.end(t4, s);
    expect(cache.get('k')).toBe(s);
    t = 999;
    expect(cache.get('k')).toBe(s);
    t = 1000;
    expect(cache.get('k')).toBeUndefined();
  });

  it('evicts least recently used first, to within half the cache (a young hit stays in place)', () => {
    const cache = new NearCache({ maxEntries: 10, maxStalenessMs: 1000 }, () => 0);
    cache.setUp(true);
    const put = (k: string) => cache.end(cache.begin(k), storedSession({ userId: k }));
    for (let i = 0; i < 10; i++) put(`k${i}`);
    // k5 has 4 entries in after it: a hit leaves it in place, so it goes as if read when it
    // went in (exact LRU would keep it). k4 has 5 (half the cache): a hit moves it to the
    // young end.
    expect(cache.get('k5')).toBeDefined();
    expect(cache.get('k4')).toBeDefined();
    for (let i = 10; i < 16; i++) put(`k${i}`);
    expect(cache.size).toBe(10);
    const kept = (i: number) => cache.get(`k${i}`) !== undefined;
    expect([0, 1, 2, 3, 5, 6].map(kept)).toEqual([false, false, false, false, false, false]);
    expect([4, 7, 8, 9, 15].map(kept)).toEqual([true, true, true, true, true]);
    // A cache of one is exact: the only entry is always the young end.
    const one = new NearCache({ maxEntries: 1, maxStalenessMs: 1000 }, () => 0);
    one.setUp(true);
    one.end(one.begin('a'), storedSession({ userId: 'a' }));
    expect(one.get('a')).toBeDefined();
    one.end(one.begin('b'), storedSession({ userId: 'b' }));
    expect([one.get('a'), one.get('b') !== undefined]).toEqual([undefined, true]);
  });

  it('never serves an entry older than maxStalenessMs', async () => {
    const s = open({ maxStalenessMs: 100 });
    const key = await login(s);
    await untilCached([other], s, key);
    await new Promise((r) => setTimeout(r, 120));
    expect(await trips(() => s.load(key, { now: Date.now(), touchIntervalMs: MIN }))).toBe(1);
  });

  it('memory is bounded by maxEntries (least recently used goes first)', async () => {
    const s = open({ maxEntries: 3 });
    const keys: SessionKey[] = [];
    for (let i = 0; i < 4; i++) keys.push(await login(s, null));
    for (const k of keys.slice(0, 3)) await untilCached([other], s, k);
    await untilCached([other], s, keys[0]!); // most recently used now
    await untilCached([other], s, keys[3]!); // evicts keys[1], the least recently used
    const now = Date.now();
    expect(await trips(() => s.load(keys[0]!, { now, touchIntervalMs: MIN }))).toBe(0);
    expect(await trips(() => s.load(keys[1]!, { now, touchIntervalMs: MIN }))).toBe(1);
  });

  it('FLUSHALL empties the cache', async () => {
    const s = open();
    const key = await login(s);
    await untilCached([other], s, key);
    await other.flushall();
    await waitFor(
      async () => (await s.load(key, { now: Date.now(), touchIntervalMs: MIN })).status === 'missing',
      1000,
    );
  });

  it('bug guard: when the invalidation connection is killed, nothing stale is served and it recovers', async () => {
    const s = open();
    const key = await login(s, 'kill', { n: 1 });
    await untilCached([other], s, key);
    const name = `tessera:{${key.tag}}s:${key.id}`;
    const before = await nearCacheClients(other);
    for (const id of before) await other.client('KILL', 'ID', id);
    // Written while no tracking connection exists: no invalidation will ever say so.
    await other.hset(name, 'd:n', '2');
    // The kill's FIN reached this process before the write's reply; one turn of the loop
    // handles it (an unnoticed loss is bounded by the heartbeat and maxStalenessMs).
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 20; i++) {
      const r = await s.load(key, { now: Date.now(), touchIntervalMs: MIN });
      expect(r).toMatchObject({ status: 'found', session: { data: { n: '2' } } });
    }
    // Back once reconnected and tracking again: cached again, and invalidated again.
    await untilCached([other], s, key);
    expect((await nearCacheClients(other)).some((id) => !before.includes(id))).toBe(true);
    await other.hset(name, 'd:n', '3');
    await waitFor(async () => {
      const r = await s.load(key, { now: Date.now(), touchIntervalMs: MIN });
      return r.status === 'found' && r.session.data.n === '3';
    }, 1000);
  });

  it('close() closes the store\u2019s own connections, never the client', async () => {
    const count = (await nearCacheClients(other)).length;
    const s = redisStore({ client: redis, keyPrefix: 'closing:', nearCache: {} });
    await waitFor(async () => (await nearCacheClients(other)).length === count + 1, 2000);
    await s.close?.();
    await waitFor(async () => (await nearCacheClients(other)).length === count, 2000);
    expect(redis.status).toBe('ready');
  });
});
