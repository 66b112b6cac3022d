/**
 * Sessions with thousands of top-level data keys. Each key is one hash field, and the
 * scripts pass the fields to HSET/HDEL from ARGV; Lua's `unpack` holds only ~8,000 values,
 * so a single HSET of ~4,000+ keys failed ("too many results to unpack", store_unavailable)
 * and the commit was lost. The scripts now write in batches; these prove every write path
 * (create, update, login) and both read paths (load, list) with 10,000 keys, exactly.
 */
import type { StoredSession } from '@tessera/session-core';
import { keyFor, storedSession } from '@tessera/session-testing';
import { describe, expect, it } from 'vitest';
import { CLIENT_KINDS, noRedis } from './helpers.js';
import { sessionHashKey as hash, useThrowawayStore } from './throwaway.js';

const MIN = 60_000;
const KEYS = 10_000;
/**
 * m (version, liveness numbers, data size), h (the fixture's handle, which is not the one derived
 * from the id, so it is stored), c (createdAt): an anonymous session without a client.
 */
const META_FIELDS = 3;

/** `prefix0`..`prefix<n-1>`, JSON-encoded as the core stores data values. */
function manyKeys(
  n: number,
  prefix = 'k',
  value: (i: number) => unknown = (i) => ({ i, s: `v${i}` }),
): Record<string, string> {
  const data: Record<string, string> = Object.create(null);
  for (let i = 0; i < n; i++) data[`${prefix}${i}`] = JSON.stringify(value(i));
  return data;
}

function withData(session: StoredSession, data: Record<string, string>): StoredSession {
  return { ...session, data };
}

for (const kind of CLIENT_KINDS)
  describe.skipIf(noRedis)(`a session with ${KEYS} top-level data keys, on ${kind}`, () => {
    // Far past the default limits (256 keys, 64 KiB): what is tested here is the batching.
    const t = useThrowawayStore(kind, { maxKeys: 4 * KEYS, maxDataBytes: 16 * 1024 * 1024 }, 30_000);

    it('is created and loaded back exactly, with and without a touch', async () => {
      const { redis, store } = t;
      const now = Date.now();
      const key = keyFor(store);
      const session = withData(storedSession({ now }), manyKeys(KEYS));
      expect(await store.create(key, session, { now })).toBe(true);
      // 6 metadata fields (anonymous, no client) plus one field per key.
      expect(Number(await redis.cmd('HLEN', hash(key)))).toBe(META_FIELDS + KEYS);

      const inside = await store.load(key, { now: now + 1000, touchIntervalMs: MIN });
      expect(inside).toEqual({ status: 'found', session, touched: false });

      const due = await store.load(key, { now: now + 2 * MIN, touchIntervalMs: MIN });
      expect(due).toEqual({
        status: 'found',
        session: { ...session, lastSeenAt: now + 2 * MIN },
        touched: true,
      });

      // Creating over it is still refused, with nothing written.
      expect(await store.create(key, withData(session, manyKeys(KEYS, 'x')), { now })).toBe(false);
      expect(Number(await redis.cmd('HEXISTS', hash(key), 'd:x0'))).toBe(0);
    });

    it('takes one patch that sets 5,000 keys and unsets 5,000', async () => {
      const { redis, store } = t;
      const now = Date.now();
      const key = keyFor(store);
      const data = manyKeys(KEYS);
      const session = withData(storedSession({ now }), data);
      await store.create(key, session, { now });

      // 2,500 existing keys overwritten and 2,500 new ones; the upper half removed.
      const set = { ...manyKeys(KEYS / 4, 'k', () => 'changed'), ...manyKeys(KEYS / 4, 'n') };
      const unset = Object.keys(data).slice(KEYS / 2);
      expect(Object.keys(set)).toHaveLength(KEYS / 2);
      expect(unset).toHaveLength(KEYS / 2);
      expect(await store.update(key, { set, unset }, { now })).toBe('ok');

      const expected: Record<string, string> = Object.create(null);
      for (const [k, v] of Object.entries(data).slice(0, KEYS / 2)) expected[k] = v;
      Object.assign(expected, set);
      const loaded = await store.load(key, { now, touchIntervalMs: MIN });
      expect(loaded).toEqual({ status: 'found', session: withData(session, expected), touched: false });
      expect(Number(await redis.cmd('HLEN', hash(key)))).toBe(META_FIELDS + KEYS / 2 + KEYS / 4);

      // A patch of nothing but unsets, and one of nothing but sets, also go through.
      expect(await store.update(key, { set: {}, unset: Object.keys(expected) }, { now })).toBe('ok');
      expect(Number(await redis.cmd('HLEN', hash(key)))).toBe(META_FIELDS);
      expect(await store.update(key, { set: data, unset: [] }, { now })).toBe('ok');
      const refilled = await store.load(key, { now, touchIntervalMs: MIN });
      expect(refilled).toEqual({ status: 'found', session, touched: false });
    });

    it('logs in (rotate anonymous -> user) carrying 10,000 keys of anonymous data, listed afterwards', async () => {
      const { store } = t;
      const now = Date.now();
      const userId = 'many-keys-user';
      const anon = keyFor(store);
      const data = manyKeys(KEYS);
      await store.create(anon, withData(storedSession({ now }), data), { now });

      const to = { key: keyFor(store, userId), session: withData(storedSession({ userId, now }), data) };
      const result = await store.rotate({
        now,
        from: { key: anon, userId: null },
        to,
        limit: { max: 5, onLimit: 'evict-oldest' },
      });
      expect(result).toEqual({ status: 'ok', evicted: [] });
      expect(await store.load(anon, { now, touchIntervalMs: MIN })).toEqual({ status: 'missing' });
      expect(await store.load(to.key, { now, touchIntervalMs: MIN })).toEqual({
        status: 'found',
        session: to.session,
        touched: false,
      });

      const listed = await store.listUserSessions(userId, { now });
      expect(listed).toHaveLength(1);
      expect(listed[0]!.key).toEqual(to.key);
      expect(listed[0]!.handle).toBe(to.session.handle);

      // A second login of the same user without a `from` (the other rotate branch).
      const again = { key: keyFor(store, userId), session: withData(storedSession({ userId, now }), data) };
      expect(await store.rotate({ now, from: null, to: again, limit: null })).toEqual({
        status: 'ok',
        evicted: [],
      });
      expect(await store.load(again.key, { now, touchIntervalMs: MIN })).toEqual({
        status: 'found',
        session: again.session,
        touched: false,
      });
    });
  });
