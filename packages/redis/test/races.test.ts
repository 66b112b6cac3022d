/**
 * What the conformance kit does not already pin down, on a dedicated throwaway server:
 * the key TTL is exactly min(idle, absolute) deadline; evicted and destroyed sessions stay
 * dead under racing updates; touches racing updates lose nothing.
 */
import { keyFor, storedSession } from '@tessera/session-testing';
import { describe, expect, it } from 'vitest';
import { CLIENT_KINDS, noRedis } from './helpers.js';
import { sessionHashKey as name, useThrowawayStore } from './throwaway.js';

const MIN = 60_000;

for (const kind of CLIENT_KINDS)
  describe.skipIf(noRedis)(`redis store on ${kind}: TTLs and races`, () => {
    const t = useThrowawayStore(kind);
    const pttl = async (key: string) => Number(await t.redis.cmd('PTTL', key));

    it('the key TTL is min(idle, absolute) deadline, and a touch never extends it past the absolute one', async () => {
      const { store } = t;
      const now = Date.now();
      const key = keyFor(store);
      await store.create(key, storedSession({ now, idleTimeoutMs: 10 * MIN, absoluteTimeoutMs: 15 * MIN }), {
        now,
      });
      const near = (ms: number, want: number) => expect(Math.abs(ms - want)).toBeLessThan(2_000);
      near(await pttl(name(key)), 10 * MIN);
      await store.load(key, { now: now + 8 * MIN, touchIntervalMs: MIN });
      // Expiry is now `absoluteExpiresAt`, i.e. 7 minutes after the (injected) now.
      near(await pttl(name(key)), 7 * MIN);
      const noIdle = keyFor(store);
      await store.create(noIdle, storedSession({ now, idleTimeoutMs: 0, absoluteTimeoutMs: 15 * MIN }), {
        now,
      });
      near(await pttl(name(noIdle)), 15 * MIN);
    });

    it('50 parallel logins (cap 5, evict-oldest): every evicted session is gone at once and stays gone', async () => {
      const { redis, store } = t;
      const u = 'evict-race';
      const now = Date.now();
      const logins = await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          const key = keyFor(store, u);
          const session = storedSession({ userId: u, now: now + i });
          return store
            .rotate({ now, from: null, to: { key, session }, limit: { max: 5, onLimit: 'evict-oldest' } })
            .then((result) => ({ key, session, result }));
        }),
      );
      const evicted = new Set(
        logins.flatMap((l) => (l.result.status === 'ok' ? l.result.evicted.map((e) => e.handle) : [])),
      );
      expect(evicted.size).toBe(45);
      const dead = logins.filter((l) => evicted.has(l.session.handle));
      const late = await Promise.all(
        dead.map((l) => store.update(l.key, { set: { late: '1' }, unset: [] }, { now })),
      );
      expect(late.every((r) => r === 'missing')).toBe(true);
      for (const l of dead) expect(Number(await redis.cmd('EXISTS', name(l.key)))).toBe(0);
      expect(Number(await redis.cmd('ZCARD', `tessera:{${store.shardTag!(u)}}u:${u}`))).toBe(5);
    });

    it('updates racing a destroy never bring the session back', async () => {
      const { redis, store } = t;
      const u = 'destroy-race';
      const now = Date.now();
      const key = keyFor(store, u);
      await store.rotate({
        now,
        from: null,
        to: { key, session: storedSession({ userId: u, now }) },
        limit: null,
      });
      const updates = Array.from({ length: 50 }, (_, i) =>
        store.update(key, { set: { [`k${i}`]: '1' }, unset: [] }, { now }),
      );
      await Promise.all([
        ...updates.slice(0, 25),
        store.destroy(key, { now, userId: u }),
        ...updates.slice(25),
      ]);
      expect(Number(await redis.cmd('EXISTS', name(key)))).toBe(0);
      expect((await store.load(key, { now, touchIntervalMs: MIN })).status).toBe('missing');
    });

    it('touching loads racing updates lose no key', async () => {
      const { store } = t;
      const now = Date.now();
      const key = keyFor(store);
      await store.create(key, storedSession({ now }), { now });
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          i % 2 === 0
            ? store.update(key, { set: { [`k${i}`]: String(i) }, unset: [] }, { now })
            : store.load(key, { now: now + i, touchIntervalMs: 0 }),
        ),
      );
      const r = await store.load(key, { now: now + 100, touchIntervalMs: MIN });
      expect(r.status).toBe('found');
      if (r.status !== 'found') return;
      for (let i = 0; i < 50; i += 2) expect(r.session.data[`k${i}`]).toBe(String(i));
    });

    it('stores a long, non-ASCII user agent intact while keeping the compact encoding', async () => {
      const { redis, store } = t;
      const now = Date.now();
      const u = 'ua-user';
      const key = keyFor(store, u);
      const base = storedSession({ userId: u, now });
      const userAgent = `Mozilla/5.0 (X11; Linux x86_64) ${'ü☃'.repeat(40)} Firefox/126.0`.slice(0, 256);
      const session = { ...base, client: { ...base.client!, userAgent } };
      await store.rotate({ now, from: null, to: { key, session }, limit: { max: 5, onLimit: 'reject' } });
      const r = await store.load(key, { now, touchIntervalMs: MIN });
      expect(r.status === 'found' && r.session.client?.userAgent).toBe(userAgent);
      expect((await store.listUserSessions(u, { now }))[0]?.client?.userAgent).toBe(userAgent);
      expect(await redis.cmd('OBJECT', 'ENCODING', name(key))).toBe('listpack');
    });
  });
