/**
 * The hash's own bookkeeping, on a dedicated throwaway server: the data size kept in `m` (which
 * the update script checks the limits against instead of reading every data key) always equals
 * what is stored, through creates, touches, replacements, deletes, racing updates and logins;
 * and the handle is stored only when it is not the one derived from the id.
 */
import { handleOf, type SessionKey, sizeOfData } from '@tessera/session-core';
import { keyFor, storedSession } from '@tessera/session-testing';
import { describe, expect, it } from 'vitest';
import { HANDLE_CHARS } from '../src/internal/scripts.js';
import { CLIENT_KINDS, noRedis } from './helpers.js';
import { sessionHashKey as name, useThrowawayStore } from './throwaway.js';

const MIN = 60_000;
const NEVER = 365 * 24 * 3_600_000;

/** A deterministic pseudo-random sequence (so a failure replays). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('the handle the hash leaves out', () => {
  it('is the first HANDLE_CHARS characters of the id, as the core derives it', () => {
    const key = { id: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', tag: '' };
    expect(handleOf(key)).toBe(key.id.slice(0, HANDLE_CHARS));
  });
});

for (const kind of CLIENT_KINDS)
  describe.skipIf(noRedis)(`redis store on ${kind}: what the hash keeps`, () => {
    const t = useThrowawayStore(kind, { maxDataBytes: 4096, maxKeys: 12 });
    /** The size recorded in `m`, and the size of the data actually stored. */
    const sizes = async (k: SessionKey, now: number) => {
      const { redis, store } = t;
      const m = String(await redis.cmd('HGET', name(k), 'm')).split('|');
      const r = await store.load(k, { now, touchIntervalMs: NEVER });
      if (r.status !== 'found') throw new Error(`expected found, got ${r.status}`);
      return { recorded: { bytes: Number(m[4]), keys: Number(m[5]) }, actual: sizeOfData(r.session.data) };
    };

    it('a session the core wrote (handle derived from the id) has no h field; any other handle is kept', async () => {
      const { redis, store } = t;
      const now = Date.now();
      const key = keyFor(store);
      await store.create(key, storedSession({ now, handle: handleOf(key) }), { now });
      expect(await redis.cmd('HEXISTS', name(key), 'h')).toBe(0);
      const loaded = await store.load(key, { now, touchIntervalMs: NEVER });
      expect(loaded.status === 'found' && loaded.session.handle).toBe(handleOf(key));

      const other = keyFor(store);
      await store.create(other, storedSession({ now, handle: 'not-derived-1234' }), { now });
      const back = await store.load(other, { now, touchIntervalMs: NEVER });
      expect(back.status === 'found' && back.session.handle).toBe('not-derived-1234');
    });

    it('revoke by handle and evict-oldest name derived handles', async () => {
      const { store } = t;
      const now = Date.now();
      const userId = `shape-${kind}`;
      const keys = [];
      for (let i = 0; i < 3; i++) {
        const key = keyFor(store, userId);
        const session = { ...storedSession({ now: now + i, userId }), handle: handleOf(key) };
        const r = await store.rotate({
          now: now + i,
          from: null,
          to: { key, session },
          limit: { max: 2, onLimit: 'evict-oldest' },
        });
        expect(r.status).toBe('ok');
        if (i === 2 && r.status === 'ok')
          expect(r.evicted.map((e) => e.handle)).toEqual([handleOf(keys[0]!)]);
        keys.push(key);
      }
      expect(await store.revokeUserSessions(userId, { now, only: handleOf(keys[1]!) })).toBe(1);
      expect((await store.listUserSessions(userId, { now })).map((s) => s.handle)).toEqual([
        handleOf(keys[2]!),
      ]);
    });

    it('the size in m equals the stored data after every step of 400 random patches', async () => {
      const { store } = t;
      const now = Date.now();
      const key = keyFor(store);
      await store.create(key, storedSession({ now, data: { a: 'é'.repeat(10), b: 1 } }), { now });
      const random = prng(7);
      const names = ['a', 'b', 'c', 'dé', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o'];
      const pick = () => names[Math.floor(random() * names.length)]!;
      let refused = 0;
      for (let step = 0; step < 400; step++) {
        const set: Record<string, string> = {};
        const unset: string[] = [];
        for (let n = Math.floor(random() * 4); n > 0; n--)
          set[pick()] = JSON.stringify('é'.repeat(Math.floor(random() * 300)));
        for (let n = Math.floor(random() * 3); n > 0; n--) {
          const f = pick();
          if (!(f in set) && !unset.includes(f)) unset.push(f);
        }
        if (Object.keys(set).length === 0 && unset.length === 0) continue;
        const result = await store
          .update(key, { set, unset }, { now })
          .catch((e: { code?: string }) => e.code);
        if (result === 'session_too_large') refused++;
        else expect(result).toBe('ok');
        // A touch rewrites m: the size must survive it.
        if (step % 50 === 0) await store.load(key, { now: now + step, touchIntervalMs: 0 });
        const { recorded, actual } = await sizes(key, now);
        expect(recorded).toEqual(actual);
        expect(actual.bytes).toBeLessThanOrEqual(4096);
        expect(actual.keys).toBeLessThanOrEqual(12);
      }
      // The sequence exercised both outcomes.
      expect(refused).toBeGreaterThan(0);
      expect(refused).toBeLessThan(400);
    });

    it('racing updates of the same keys keep the size exact', async () => {
      const { store } = t;
      const now = Date.now();
      const key = keyFor(store);
      await store.create(key, storedSession({ now, data: { seed: 1 } }), { now });
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          store
            .update(
              key,
              i % 3 === 2
                ? { set: {}, unset: [`k${i % 5}`] }
                : { set: { [`k${i % 5}`]: JSON.stringify('x'.repeat(i)) }, unset: [] },
              { now },
            )
            .catch(() => undefined),
        ),
      );
      const { recorded, actual } = await sizes(key, now);
      expect(recorded).toEqual(actual);
    });

    it('a login carrying data records its size', async () => {
      const { store } = t;
      const now = Date.now();
      const from = keyFor(store);
      await store.create(from, storedSession({ now, data: { cart: [1, 2, 3] } }), { now });
      const userId = `shape-login-${kind}`;
      const to = keyFor(store, userId);
      const session = storedSession({ now, userId, data: { cart: [1, 2, 3], theme: 'dark' } });
      const r = await store.rotate({
        now,
        from: { key: from, userId: null },
        to: { key: to, session },
        limit: { max: 5, onLimit: 'evict-oldest' },
      });
      expect(r.status).toBe('ok');
      const { recorded, actual } = await sizes(to, now);
      expect(recorded).toEqual(actual);
      expect(actual).toEqual({ bytes: 4 + 7 + 5 + 6, keys: 2 });
      // Touched later: the size is still there.
      await store.load(to, { now: now + 2 * MIN, touchIntervalMs: MIN });
      expect((await sizes(to, now + 2 * MIN)).recorded).toEqual(actual);
    });
  });
