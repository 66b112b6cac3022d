/**
 * The store contract's "bounded data" cases (`SessionStore.limits`, issue #13 item 2): a store
 * that declares limits refuses, in `create`, `update` and `rotate`, a record whose data would
 * be over them, with `SessionError('session_too_large')`, and leaves what it held as it was,
 * so no writer (another app's policy, an older one) can grow a session past them. Sizes are
 * UTF-8 bytes of keys plus JSON texts, as `sizeOfData` counts; the values here are mostly
 * two-byte characters, so a store that counts characters instead of bytes fails.
 */
import { type DataLimits, type EncodedData, type SessionStore, sizeOfData } from '@tessera/session-core';
import { describe, expect, it, type TestContext } from 'vitest';
import { keyFor, randomId, storedSession } from './fixtures.js';

const NEVER = 365 * 24 * 3_600_000;
const NO_LIMITS = 'the store declares no limits (store.limits): only the core bounds its data';

/** A string of exactly `bytes` UTF-8 bytes, mostly "é". */
function textOf(bytes: number): string {
  return 'é'.repeat(Math.floor(bytes / 2)) + 'x'.repeat(bytes % 2);
}

/** Data values (for `storedSession`) whose encoded size is exactly `bytes`, in one key. */
function sized(bytes: number, key = 'a'): Record<string, unknown> {
  return { [key]: textOf(bytes - key.length - 2) };
}

/** `count` small keys. */
function manyKeys(count: number, prefix = 'k'): Record<string, unknown> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, i]));
}

/** One key's JSON text, as the core encodes it. */
function encoded(values: Record<string, unknown>): EncodedData {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, JSON.stringify(v)]));
}

const tooLarge = { code: 'session_too_large' };

export function describeBoundedData(getStore: () => SessionStore, timeout: number): void {
  describe('bounded data', () => {
    const setup = (ctx: TestContext): { store: SessionStore; limits: DataLimits; now: number } => {
      const store = getStore();
      if (!store.limits) ctx.skip(NO_LIMITS);
      return { store, limits: store.limits!, now: Date.now() };
    };
    const dataOf = async (store: SessionStore, key: ReturnType<typeof keyFor>, now: number) => {
      const r = await store.load(key, { now, touchIntervalMs: NEVER });
      return r.status === 'found' ? sizeOfData(r.session.data) : r.status;
    };

    it(
      'create takes data of exactly maxDataBytes and refuses one byte more, writing nothing',
      async (ctx) => {
        const { store, limits, now } = setup(ctx);
        const at = storedSession({ now, data: sized(limits.maxDataBytes) });
        expect(sizeOfData(at.data).bytes).toBe(limits.maxDataBytes);
        const fits = keyFor(store);
        expect(await store.create(fits, at, { now })).toBe(true);
        expect(await dataOf(store, fits, now)).toEqual({ bytes: limits.maxDataBytes, keys: 1 });
        const over = keyFor(store);
        const session = storedSession({ now, data: sized(limits.maxDataBytes + 1) });
        await expect(store.create(over, session, { now })).rejects.toMatchObject(tooLarge);
        expect(await dataOf(store, over, now)).toBe('missing');
      },
      timeout,
    );

    it(
      'create takes exactly maxKeys keys and refuses one more',
      async (ctx) => {
        const { store, limits, now } = setup(ctx);
        const at = storedSession({ now, data: manyKeys(limits.maxKeys) });
        if (sizeOfData(at.data).bytes > limits.maxDataBytes)
          ctx.skip('maxKeys small keys exceed maxDataBytes');
        expect(await store.create(keyFor(store), at, { now })).toBe(true);
        const over = keyFor(store);
        const session = storedSession({ now, data: manyKeys(limits.maxKeys + 1) });
        await expect(store.create(over, session, { now })).rejects.toMatchObject(tooLarge);
        expect(await dataOf(store, over, now)).toBe('missing');
      },
      timeout,
    );

    it(
      'update refuses a patch that takes the data over maxDataBytes and leaves the record as it was; replacing and deleting count',
      async (ctx) => {
        const { store, limits, now } = setup(ctx);
        const key = keyFor(store);
        await store.create(key, storedSession({ now, data: sized(limits.maxDataBytes - 20) }), { now });
        const grow = { set: encoded(sized(21, 'b')), unset: [] };
        await expect(store.update(key, grow, { now })).rejects.toMatchObject(tooLarge);
        expect(await dataOf(store, key, now)).toEqual({ bytes: limits.maxDataBytes - 20, keys: 1 });
        // `a` shrinks by 20 bytes in the same patch: the result is exactly at the limit.
        const swap = { set: encoded({ ...sized(limits.maxDataBytes - 40), ...sized(40, 'b') }), unset: [] };
        expect(await store.update(key, swap, { now })).toBe('ok');
        expect(await dataOf(store, key, now)).toEqual({ bytes: limits.maxDataBytes, keys: 2 });
        expect(await store.update(key, { set: encoded(sized(20, 'c')), unset: ['a'] }, { now })).toBe('ok');
        expect(await dataOf(store, key, now)).toEqual({ bytes: 60, keys: 2 });
      },
      timeout,
    );

    it(
      'update refuses a new key past maxKeys, but takes a change to a key already there',
      async (ctx) => {
        const { store, limits, now } = setup(ctx);
        const data = manyKeys(limits.maxKeys);
        const key = keyFor(store);
        const session = storedSession({ now, data });
        if (sizeOfData(session.data).bytes + 20 > limits.maxDataBytes)
          ctx.skip('maxKeys small keys exceed maxDataBytes');
        await store.create(key, session, { now });
        await expect(store.update(key, { set: { extra: '1' }, unset: [] }, { now })).rejects.toMatchObject(
          tooLarge,
        );
        expect(await store.update(key, { set: { k0: '"changed"' }, unset: [] }, { now })).toBe('ok');
        expect(await store.update(key, { set: { extra: '1' }, unset: ['k1'] }, { now })).toBe('ok');
        expect(await dataOf(store, key, now)).toMatchObject({ keys: limits.maxKeys });
      },
      timeout,
    );

    it(
      'rotate refuses a `to` over a limit and changes nothing: `from` stays, `to` is not created or indexed',
      async (ctx) => {
        const { store, limits, now } = setup(ctx);
        const from = keyFor(store);
        await store.create(from, storedSession({ now, data: { seed: 1 } }), { now });
        const userId = `bounded-${randomId().slice(0, 10)}`;
        const to = keyFor(store, userId);
        for (const data of [sized(limits.maxDataBytes + 1), manyKeys(limits.maxKeys + 1)]) {
          await expect(
            store.rotate({
              now,
              from: { key: from, userId: null },
              to: { key: to, session: storedSession({ now, userId, data }) },
              limit: { max: 5, onLimit: 'evict-oldest' },
            }),
          ).rejects.toMatchObject(tooLarge);
        }
        expect(await dataOf(store, from, now)).toEqual({ bytes: 5, keys: 1 });
        expect(await dataOf(store, to, now)).toBe('missing');
        expect(await store.listUserSessions(userId, { now })).toEqual([]);
      },
      timeout,
    );

    it(
      'two concurrent updates that each fit but not together never take the record past the limit (atomicMerge: exactly one is refused)',
      async (ctx) => {
        const { store, limits, now } = setup(ctx);
        const key = keyFor(store);
        await store.create(key, storedSession({ now, data: { seed: 1 } }), { now });
        const part = Math.floor(limits.maxDataBytes * 0.6);
        const results = await Promise.allSettled(
          ['b', 'c'].map((k) => store.update(key, { set: encoded(sized(part, k)), unset: [] }, { now })),
        );
        const size = await dataOf(store, key, now);
        expect(typeof size === 'object' && size.bytes <= limits.maxDataBytes).toBe(true);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject(tooLarge);
        if (store.capabilities.atomicMerge) {
          expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
        }
      },
      timeout,
    );
  });
}
