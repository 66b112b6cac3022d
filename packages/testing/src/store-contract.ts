/**
 * The store contract as runnable tests. A store's test file is a few lines:
 *
 *   describeStoreContract({ name: 'redis', makeStore: () => redisStore({ client }) });
 *
 * Capability flags (`store.capabilities`) decide which cases apply; a case a flag does not
 * promise is skipped with its reason in the title, never silently dropped.
 */
import { expiresAtOf, type SessionKey, type SessionStore } from '@tessera/session-core';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { keyFor, randomId, sleep, storedSession } from './fixtures.js';
import { describeBoundedData } from './store-contract-bounded.js';

export interface StoreContractOptions {
  /** Shown in the suite title. */
  readonly name: string;
  /** Called once for the suite. */
  readonly makeStore: () => SessionStore | Promise<SessionStore>;
  /** Called once after the suite (close clients, stop servers). */
  readonly teardown?: (store: SessionStore) => void | Promise<void>;
  /**
   * Write bytes the store cannot decode under `key` (bad JSON, unknown version...), to
   * check that corrupt records read as `corrupt` or `missing`, never as data. Optional.
   */
  readonly corrupt?: (store: SessionStore, key: SessionKey) => Promise<void>;
  /** The store's TTL resolution in ms (memcached: 1000). Real-time waits scale with it. @default 100 */
  readonly ttlResolutionMs?: number;
  /** Parallel requests in the race cases. @default 50 */
  readonly concurrency?: number;
  /** Per-test timeout, ms. @default 20000 */
  readonly timeoutMs?: number;
}

const MIN = 60_000;

/** Stores may normalise JSON text (whitespace, key order): compare values, not spellings. */
function parsed(data: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(data)) out[k] = JSON.parse(data[k]!);
  return out;
}
const NEVER = 365 * 24 * 60 * MIN;
const NOT_ATOMIC_ROTATE =
  'capabilities.atomicRotate is false: the store does not promise an exact cap or single-use rotation';
const NOT_ATOMIC_MERGE = 'capabilities.atomicMerge is false: concurrent updates may lose writes';
const NOT_NO_RESURRECT = 'capabilities.noResurrect is false: a late update may recreate a session';

export function describeStoreContract(options: StoreContractOptions): void {
  const resolution = options.ttlResolutionMs ?? 100;
  const n = options.concurrency ?? 50;
  const timeout = options.timeoutMs ?? 20_000;

  describe(`store contract: ${options.name}`, () => {
    let store: SessionStore;
    beforeAll(async () => {
      store = await options.makeStore();
    }, 60_000);
    afterAll(async () => {
      if (store && options.teardown) await options.teardown(store);
    }, 60_000);

    const user = () => `user-${randomId().slice(0, 10)}`;
    // Reads that must not touch use a touch interval longer than any test.
    const load = (key: SessionKey, now = Date.now(), touchIntervalMs = NEVER) =>
      store.load(key, { now, touchIntervalMs });
    // Live = found and not past its deadline (a store may hand over an expired record untouched).
    const live = async (key: SessionKey, now = Date.now()) => {
      const r = await load(key, now);
      return r.status === 'found' && now < expiresAtOf(r.session);
    };
    const login = (userId: string, max: number, onLimit: 'evict-oldest' | 'reject', now = Date.now()) => {
      const key = keyFor(store, userId);
      const session = storedSession({ userId, now });
      return store
        .rotate({ now, from: null, to: { key, session }, limit: { max, onLimit } })
        .then((result) => ({ key, session, result }));
    };

    describe('records', () => {
      it('create then load returns every field as written', async () => {
        const now = Date.now();
        const key = keyFor(store);
        const s = storedSession({ now, data: { cart: [1, 2], name: 'ä ☃ "q"', nested: { a: null } } });
        expect(await store.create(key, s, { now })).toBe(true);
        const r = await load(key, now);
        expect(r.status).toBe('found');
        if (r.status !== 'found') return;
        expect(r.touched).toBe(false);
        expect({ ...r.session, data: parsed(r.session.data) }).toEqual({ ...s, data: parsed(s.data) });
      });

      it('create refuses an existing key and leaves it untouched', async () => {
        const now = Date.now();
        const key = keyFor(store);
        await store.create(key, storedSession({ now, data: { a: 1 } }), { now });
        expect(await store.create(key, storedSession({ now, data: { a: 2 } }), { now })).toBe(false);
        const r = await load(key, now);
        expect(r.status === 'found' && r.session.data.a).toBe('1');
      });

      it('create of a session already past its expiry answers true, stores nothing that loads, and leaves the key free', async () => {
        // One rule for every store (issue #15: Redis answered true, Memcached false, which the
        // core reads as a token collision, memory kept it): created, and already expired.
        const now = Date.now();
        const key = keyFor(store);
        const expired = storedSession({ now: now - 10 * MIN, idleTimeoutMs: 5 * MIN });
        expect(await store.create(key, expired, { now })).toBe(true);
        // Either nothing loads, or the record as written, which the core sees expired.
        const r = await load(key, now);
        if (r.status === 'found') expect(expiresAtOf(r.session)).toBeLessThanOrEqual(now);
        expect(await store.create(key, storedSession({ now }), { now })).toBe(true);
        expect((await load(key, now)).status).toBe('found');
      });

      it('an unknown key is missing', async () => {
        expect((await load(keyFor(store))).status).toBe('missing');
      });

      it('keeps prototype-looking data keys as plain keys', async () => {
        const now = Date.now();
        const key = keyFor(store);
        const s = storedSession({ now });
        const data: Record<string, string> = Object.create(null);
        Object.defineProperty(data, '__proto__', {
          value: '{"polluted":true}',
          enumerable: true,
          writable: true,
        });
        data['constructor'] = '"c"';
        await store.create(key, { ...s, data }, { now });
        const r = await load(key, now);
        expect(r.status).toBe('found');
        if (r.status !== 'found') return;
        expect(JSON.parse(Object.getOwnPropertyDescriptor(r.session.data, '__proto__')?.value)).toEqual({
          polluted: true,
        });
        expect(Object.getOwnPropertyDescriptor(r.session.data, 'constructor')?.value).toBe('"c"');
        expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      });

      it('keeps every JSON value exactly: NUL, lone surrogates, control characters, extreme numbers', async () => {
        const values: Record<string, unknown> = {
          nul: 'a\u0000b',
          lone: '\ud800x\udc00',
          pair: '\ud83d\ude00',
          controls: '\u0001\u001f\u007f\u2028\u2029',
          numbers: [1e21, -1e-7, 5e-324, 1.7976931348623157e308, 2 ** 53 + 2],
          nested: { s: '\u0000', a: ['\udfff', null, true, { '': '' }] },
        };
        const text = (v: Record<string, unknown>) =>
          Object.fromEntries(Object.entries(v).map(([k, x]) => [k, JSON.stringify(x)]));
        const now = Date.now();
        const key = keyFor(store);
        await store.create(key, { ...storedSession({ now }), data: text(values) }, { now });
        const created = await load(key, now);
        expect(created.status === 'found' && parsed(created.session.data)).toEqual(values);
        await store.update(
          key,
          { set: text({ later: values.nul, nested: values.lone }), unset: [] },
          { now },
        );
        const updated = await load(key, now);
        expect(updated.status === 'found' && parsed(updated.session.data)).toEqual({
          ...values,
          later: values.nul,
          nested: values.lone,
        });
        const u = user();
        const to = {
          key: keyFor(store, u),
          session: { ...storedSession({ userId: u, now }), data: text(values) },
        };
        await store.rotate({
          now,
          from: { key, userId: null },
          to,
          limit: { max: 5, onLimit: 'evict-oldest' },
        });
        const rotated = await load(to.key, now);
        expect(rotated.status === 'found' && parsed(rotated.session.data)).toEqual(values);
      });

      it('update sets and removes only the named keys', async () => {
        const now = Date.now();
        const key = keyFor(store);
        await store.create(key, storedSession({ now, data: { a: 1, b: 2, c: 3 } }), { now });
        expect(await store.update(key, { set: { a: '10', d: '"new"' }, unset: ['b'] }, { now })).toBe('ok');
        const r = await load(key, now);
        expect(r.status === 'found' && parsed(r.session.data)).toEqual({ a: 10, c: 3, d: 'new' });
      });

      it('update never creates a missing session', async () => {
        const now = Date.now();
        const key = keyFor(store);
        expect(await store.update(key, { set: { a: '1' }, unset: [] }, { now })).toBe('missing');
        expect((await load(key, now)).status).toBe('missing');
      });

      it('destroy removes the session and answers whether it existed', async () => {
        const now = Date.now();
        const key = keyFor(store);
        await store.create(key, storedSession({ now }), { now });
        expect(await store.destroy(key, { now, userId: null })).toBe(true);
        expect((await load(key, now)).status).toBe('missing');
        expect(await store.destroy(key, { now, userId: null })).toBe(false);
      });

      it.runIf(Boolean(options.corrupt))(
        'a corrupt record reads as corrupt or missing, never as data',
        async () => {
          const key = keyFor(store);
          await options.corrupt!(store, key);
          expect(['corrupt', 'missing']).toContain((await load(key)).status);
        },
      );
    });

    describe('expiry', () => {
      it('is missing once `now` passes the idle deadline (the store uses the given clock)', async () => {
        const now = Date.now();
        const key = keyFor(store);
        await store.create(key, storedSession({ now, idleTimeoutMs: 10 * MIN }), { now });
        expect(await live(key, now + 10 * MIN - 1)).toBe(true);
        expect(await live(key, now + 10 * MIN + 1)).toBe(false);
      });

      it('a session seen expired never revives when the clock steps back', async () => {
        // Regression: a store that answered `missing` for an expired record but kept it let a
        // clock that stepped backwards (NTP, VM resume, a slower peer) bring the session back.
        const now = Date.now();
        const key = keyFor(store);
        await store.create(key, storedSession({ now, idleTimeoutMs: 10 * MIN }), { now });
        const seen = await load(key, now + 10 * MIN + 1);
        if (seen.status === 'found') {
          // Handed over untouched for the core to report and destroy (what the core does next).
          expect(seen.touched).toBe(false);
          expect(seen.session.lastSeenAt).toBe(now);
          return;
        }
        expect(seen.status).toBe('missing');
        expect((await load(key, now + MIN)).status).not.toBe('found');
      });

      it('is missing once `now` passes the absolute deadline', async () => {
        const now = Date.now();
        const key = keyFor(store);
        await store.create(key, storedSession({ now, idleTimeoutMs: 60 * MIN, absoluteTimeoutMs: 5 * MIN }), {
          now,
        });
        expect(await live(key, now + 5 * MIN + 1)).toBe(false);
      });

      it(
        'disappears by itself after its expiry (real time)',
        async () => {
          const now = Date.now();
          const key = keyFor(store);
          await store.create(key, storedSession({ now, idleTimeoutMs: resolution * 2 }), { now });
          await sleep(resolution * 4 + 50);
          expect(await live(key)).toBe(false);
        },
        timeout,
      );

      it('touches only when the touch interval has passed, never past the absolute deadline', async () => {
        const now = Date.now();
        const key = keyFor(store);
        await store.create(
          key,
          storedSession({ now, idleTimeoutMs: 10 * MIN, absoluteTimeoutMs: 15 * MIN }),
          {
            now,
          },
        );
        const inside = await store.load(key, { now: now + 30_000, touchIntervalMs: MIN });
        expect(inside.status === 'found' && inside.touched).toBe(false);
        expect(inside.status === 'found' && inside.session.lastSeenAt).toBe(now);
        const due = await store.load(key, { now: now + 8 * MIN, touchIntervalMs: MIN });
        expect(due.status === 'found' && due.touched).toBe(true);
        expect(due.status === 'found' && due.session.lastSeenAt).toBe(now + 8 * MIN);
        // Alive past the first idle deadline thanks to the touch...
        expect(await live(key, now + 12 * MIN)).toBe(true);
        // ...but never past the absolute one, however often it is touched.
        await store.load(key, { now: now + 14 * MIN, touchIntervalMs: 0 });
        expect(await live(key, now + 15 * MIN + 1)).toBe(false);
      });

      it(
        'a touch extends the real expiry, and only up to the absolute deadline',
        async () => {
          const now = Date.now();
          const key = keyFor(store);
          const idle = resolution * 4;
          await store.create(
            key,
            storedSession({ now, idleTimeoutMs: idle, absoluteTimeoutMs: idle * 100 }),
            { now },
          );
          await sleep(idle / 2);
          const r = await store.load(key, { now: Date.now(), touchIntervalMs: 0 });
          expect(r.status === 'found' && r.touched).toBe(true);
          await sleep(idle / 2 + resolution);
          expect(await live(key)).toBe(true);
          const short = keyFor(store);
          const t0 = Date.now();
          await store.create(
            short,
            storedSession({ now: t0, idleTimeoutMs: idle * 100, absoluteTimeoutMs: idle }),
            {
              now: t0,
            },
          );
          await store.load(short, { now: Date.now(), touchIntervalMs: 0 });
          await sleep(idle + resolution * 2);
          expect(await live(short)).toBe(false);
        },
        timeout,
      );
    });

    describe('rotate, index and cap', () => {
      it('rotate from nothing creates an indexed session', async () => {
        const u = user();
        const { key, session, result } = await login(u, 5, 'evict-oldest');
        expect(result).toEqual({ status: 'ok', evicted: [] });
        expect(await live(key)).toBe(true);
        const list = await store.listUserSessions(u, { now: Date.now() });
        expect(list.map((s) => s.handle)).toEqual([session.handle]);
        expect(list[0]!.client).toEqual(session.client);
        expect(list[0]!.expiresAt).toBe(expiresAtOf(session));
        expect(list[0]!.key.id).toBe(key.id);
      });

      it('rotate consumes the old session and moves the index', async () => {
        const u = user();
        const first = await login(u, 5, 'evict-oldest');
        const now = Date.now();
        const key = keyFor(store, u);
        const session = storedSession({ userId: u, now });
        const r = await store.rotate({
          now,
          from: { key: first.key, userId: u },
          to: { key, session },
          limit: { max: 5, onLimit: 'reject' },
        });
        expect(r.status).toBe('ok');
        expect(await live(first.key)).toBe(false);
        expect(await live(key)).toBe(true);
        expect((await store.listUserSessions(u, { now })).map((s) => s.handle)).toEqual([session.handle]);
      });

      it('rotate from an anonymous session into a user', async () => {
        const now = Date.now();
        const anon = keyFor(store);
        await store.create(anon, storedSession({ now, data: { cart: [1] } }), { now });
        const u = user();
        const key = keyFor(store, u);
        const r = await store.rotate({
          now,
          from: { key: anon, userId: null },
          to: { key, session: storedSession({ userId: u, now, data: { cart: [1] } }) },
          limit: { max: 5, onLimit: 'evict-oldest' },
        });
        expect(r.status).toBe('ok');
        expect(await live(anon)).toBe(false);
        const loaded = await load(key);
        expect(loaded.status === 'found' && loaded.session.data.cart).toBe('[1]');
      });

      it('rotate from a missing session is a conflict and creates nothing', async () => {
        const now = Date.now();
        const u = user();
        const key = keyFor(store, u);
        const r = await store.rotate({
          now,
          from: { key: keyFor(store, u), userId: u },
          to: { key, session: storedSession({ userId: u, now }) },
          limit: { max: 5, onLimit: 'evict-oldest' },
        });
        expect(r.status).toBe('conflict');
        expect(await live(key)).toBe(false);
        expect(await store.listUserSessions(u, { now })).toEqual([]);
      });

      it('evict-oldest keeps the newest `max` and reports the evicted', async () => {
        const u = user();
        const t0 = Date.now();
        const made = [];
        for (let i = 0; i < 4; i++) made.push(await login(u, 3, 'evict-oldest', t0 + i));
        const last = made[3]!;
        expect(last.result.status === 'ok' && last.result.evicted.map((e) => e.handle)).toEqual([
          made[0]!.session.handle,
        ]);
        expect(await live(made[0]!.key, t0 + 10)).toBe(false);
        expect((await store.listUserSessions(u, { now: t0 + 10 })).map((s) => s.handle)).toEqual(
          made.slice(1).map((m) => m.session.handle),
        );
      });

      it('reject refuses the login at the cap and changes nothing', async () => {
        const u = user();
        const t0 = Date.now();
        for (let i = 0; i < 2; i++) await login(u, 2, 'reject', t0 + i);
        const third = await login(u, 2, 'reject', t0 + 5);
        expect(third.result.status).toBe('limit');
        expect(await live(third.key, t0 + 6)).toBe(false);
        expect(await store.listUserSessions(u, { now: t0 + 6 })).toHaveLength(2);
      });

      it('no cap (limit.max = Number.MAX_SAFE_INTEGER, what Infinity becomes) keeps every session', async () => {
        const u = user();
        const t0 = Date.now();
        for (let i = 0; i < 7; i++) {
          expect((await login(u, Number.MAX_SAFE_INTEGER, 'reject', t0 + i)).result.status).toBe('ok');
        }
        expect(await store.listUserSessions(u, { now: t0 + 10 })).toHaveLength(7);
      });

      it('expired index entries are pruned and never counted against the cap', async () => {
        const u = user();
        const t0 = Date.now();
        for (let i = 0; i < 2; i++) {
          const key = keyFor(store, u);
          await store.rotate({
            now: t0,
            from: null,
            to: { key, session: storedSession({ userId: u, now: t0, idleTimeoutMs: 5 * MIN }) },
            limit: { max: 2, onLimit: 'reject' },
          });
        }
        const later = t0 + 6 * MIN;
        expect(await store.listUserSessions(u, { now: later })).toEqual([]);
        const again = await login(u, 2, 'reject', later);
        expect(again.result.status).toBe('ok');
      });

      it('a session kept alive by touches stays listed, counted and revocable past its first idle deadline', async () => {
        const u = user();
        const t0 = Date.now();
        const key = keyFor(store, u);
        const session = storedSession({ userId: u, now: t0, idleTimeoutMs: 5 * MIN });
        await store.rotate({
          now: t0,
          from: null,
          to: { key, session },
          limit: { max: 1, onLimit: 'reject' },
        });
        // An active user: a request every 3 minutes touches it, so at +12 min it is live
        // although its first idle deadline was +5.
        for (const m of [3, 6, 9]) {
          const r = await store.load(key, { now: t0 + m * MIN, touchIntervalMs: MIN });
          expect(r.status === 'found' && r.touched).toBe(true);
        }
        const now = t0 + 12 * MIN;
        expect(await live(key, now)).toBe(true);
        expect((await store.listUserSessions(u, { now })).map((s) => s.handle)).toEqual([session.handle]);
        expect((await login(u, 1, 'reject', now)).result.status).toBe('limit');
        expect(await store.revokeUserSessions(u, { now })).toBe(1);
        expect(await live(key, now)).toBe(false);
      });

      it('revokes one session by handle (`only`), and only for its owner', async () => {
        const u = user();
        const a = await login(u, 5, 'evict-oldest');
        const b = await login(u, 5, 'evict-oldest');
        const now = Date.now();
        const only = a.session.handle;
        expect(await store.revokeUserSessions('someone-else', { now, only })).toBe(0);
        expect(await live(a.key)).toBe(true);
        expect(await store.revokeUserSessions(u, { now, only })).toBe(1);
        expect(await live(a.key)).toBe(false);
        expect(await live(b.key)).toBe(true);
        expect(await store.revokeUserSessions(u, { now, only })).toBe(0);
        expect((await store.listUserSessions(u, { now })).map((s) => s.handle)).toEqual([b.session.handle]);
      });

      it('one way to revoke (issue #15): `only` with `except` is refused and revokes nothing', async () => {
        const u = user();
        const a = await login(u, 5, 'evict-oldest');
        const b = await login(u, 5, 'evict-oldest');
        const now = Date.now();
        await expect(
          store.revokeUserSessions(u, { now, only: a.session.handle, except: b.key }),
        ).rejects.toMatchObject({ code: 'invalid_state' });
        expect(await live(a.key)).toBe(true);
        expect(await live(b.key)).toBe(true);
      });

      it('revokes all, or all but one', async () => {
        const u = user();
        const s = [];
        for (let i = 0; i < 3; i++) s.push(await login(u, 5, 'evict-oldest'));
        const now = Date.now();
        expect(await store.revokeUserSessions(u, { now, except: s[1]!.key })).toBe(2);
        expect(await live(s[0]!.key)).toBe(false);
        expect(await live(s[1]!.key)).toBe(true);
        expect(await store.revokeUserSessions(u, { now })).toBe(1);
        expect(await live(s[1]!.key)).toBe(false);
        expect(await store.listUserSessions(u, { now })).toEqual([]);
      });

      it('a destroyed session leaves the index', async () => {
        const u = user();
        const a = await login(u, 5, 'evict-oldest');
        const now = Date.now();
        await store.destroy(a.key, { now, userId: u });
        expect(await store.listUserSessions(u, { now })).toEqual([]);
      });
    });

    describeBoundedData(() => store, timeout);

    describe('races', () => {
      const capCase = (onLimit: 'evict-oldest' | 'reject') => async (ctx: TestContext) => {
        if (!store.capabilities.atomicRotate) return ctx.skip(NOT_ATOMIC_ROTATE);
        const u = user();
        const results = await Promise.all(Array.from({ length: n }, () => login(u, 5, onLimit)));
        const now = Date.now();
        const alive = (await Promise.all(results.map((r) => live(r.key, now)))).filter(Boolean).length;
        expect(alive).toBe(5);
        expect(await store.listUserSessions(u, { now })).toHaveLength(5);
        const ok = results.filter((r) => r.result.status === 'ok').length;
        expect(ok).toBe(onLimit === 'reject' ? 5 : n);
        if (onLimit === 'evict-oldest') {
          const evicted = results.flatMap((r) => (r.result.status === 'ok' ? r.result.evicted : []));
          expect(evicted).toHaveLength(n - 5);
        }
      };
      it(
        `${n} parallel logins with cap 5 (evict-oldest) leave exactly 5 live`,
        capCase('evict-oldest'),
        timeout,
      );
      it(`${n} parallel logins with cap 5 (reject) leave exactly 5 live`, capCase('reject'), timeout);

      it(
        `${n} parallel updates of different keys lose nothing`,
        async (ctx) => {
          if (!store.capabilities.atomicMerge) return ctx.skip(NOT_ATOMIC_MERGE);
          const now = Date.now();
          const key = keyFor(store);
          await store.create(key, storedSession({ now, data: { base: true } }), { now });
          const results = await Promise.all(
            Array.from({ length: n }, (_, i) =>
              store.update(key, { set: { [`k${i}`]: String(i) }, unset: [] }, { now }),
            ),
          );
          expect(results.every((r) => r === 'ok')).toBe(true);
          const r = await load(key, now);
          expect(r.status).toBe('found');
          if (r.status !== 'found') return;
          for (let i = 0; i < n; i++) expect(r.session.data[`k${i}`]).toBe(String(i));
          expect(r.session.data.base).toBe('true');
        },
        timeout,
      );

      it('an update that lands after destroy does not resurrect the session', async (ctx) => {
        if (!store.capabilities.noResurrect) return ctx.skip(NOT_NO_RESURRECT);
        const now = Date.now();
        const u = user();
        const { key } = await login(u, 5, 'evict-oldest', now);
        await store.destroy(key, { now, userId: u });
        expect(await store.update(key, { set: { late: '1' }, unset: [] }, { now })).toBe('missing');
        expect(await live(key, now)).toBe(false);
        expect(await store.listUserSessions(u, { now })).toEqual([]);
      });

      it('two concurrent rotations of one session: exactly one succeeds', async (ctx) => {
        if (!store.capabilities.atomicRotate) return ctx.skip(NOT_ATOMIC_ROTATE);
        const u = user();
        const { key: from } = await login(u, 5, 'evict-oldest');
        const now = Date.now();
        const targets = [keyFor(store, u), keyFor(store, u)];
        const results = await Promise.all(
          targets.map((key) =>
            store.rotate({
              now,
              from: { key: from, userId: u },
              to: { key, session: storedSession({ userId: u, now }) },
              limit: { max: 5, onLimit: 'evict-oldest' },
            }),
          ),
        );
        expect(results.map((r) => r.status).sort()).toEqual(['conflict', 'ok']);
        const alive = await Promise.all(targets.map((k) => live(k, now)));
        expect(alive.filter(Boolean)).toHaveLength(1);
      });

      it('revoke-all racing logins leaves nothing issued before it', async (ctx) => {
        if (!store.capabilities.atomicRotate) return ctx.skip(NOT_ATOMIC_ROTATE);
        const u = user();
        const before = await Promise.all(Array.from({ length: 5 }, () => login(u, 10, 'evict-oldest')));
        const [revoked] = await Promise.all([
          store.revokeUserSessions(u, { now: Date.now() }),
          ...Array.from({ length: 5 }, () => login(u, 10, 'evict-oldest')),
        ]);
        expect(revoked).toBeGreaterThanOrEqual(5);
        for (const b of before) expect(await live(b.key)).toBe(false);
      });
    });

    it('declares every capability as a boolean', () => {
      const c = store.capabilities;
      for (const flag of ['atomicMerge', 'atomicRotate', 'noResurrect'] as const) {
        expect(typeof c[flag]).toBe('boolean');
      }
    });
  });
}
