// Store contract cases for rotate, the per-user index and the cap: login moves, eviction, rejection, revocation.
import { expiresAtOf } from '@tessera/session-core';
import { describe, expect, it } from 'vitest';
import { keyFor, storedSession } from './fixtures.js';
import { MIN, type StoreCaseContext } from './store-contract-context.js';

export function describeRotateCases(suite: StoreCaseContext): void {
  const { store, user, load, live, login } = suite;

  describe('rotate, index and cap', () => {
    it('rotate from nothing creates an indexed session', async () => {
      const u = user();
      const { key, session, result } = await login(u, 5, 'evict-oldest');
      expect(result).toEqual({ status: 'ok', evicted: [] });
      expect(await live(key)).toBe(true);
      const list = await store().listUserSessions(u, { now: Date.now() });
      expect(list.map((s) => s.handle)).toEqual([session.handle]);
      expect(list[0]!.client).toEqual(session.client);
      expect(list[0]!.expiresAt).toBe(expiresAtOf(session));
      expect(list[0]!.key.id).toBe(key.id);
    });

    it('rotate consumes the old session and moves the index', async () => {
      const u = user();
      const first = await login(u, 5, 'evict-oldest');
      const now = Date.now();
      const key = keyFor(store(), u);
      const session = storedSession({ userId: u, now });
      const r = await store().rotate({
        now,
        from: { key: first.key, userId: u },
        to: { key, session },
        limit: { max: 5, onLimit: 'reject' },
      });
      expect(r.status).toBe('ok');
      expect(await live(first.key)).toBe(false);
      expect(await live(key)).toBe(true);
      expect((await store().listUserSessions(u, { now })).map((s) => s.handle)).toEqual([session.handle]);
    });

    it('rotate from an anonymous session into a user', async () => {
      const now = Date.now();
      const anon = keyFor(store());
      await store().create(anon, storedSession({ now, data: { cart: [1] } }), { now });
      const u = user();
      const key = keyFor(store(), u);
      const r = await store().rotate({
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
      const key = keyFor(store(), u);
      const r = await store().rotate({
        now,
        from: { key: keyFor(store(), u), userId: u },
        to: { key, session: storedSession({ userId: u, now }) },
        limit: { max: 5, onLimit: 'evict-oldest' },
      });
      expect(r.status).toBe('conflict');
      expect(await live(key)).toBe(false);
      expect(await store().listUserSessions(u, { now })).toEqual([]);
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
      expect((await store().listUserSessions(u, { now: t0 + 10 })).map((s) => s.handle)).toEqual(
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
      expect(await store().listUserSessions(u, { now: t0 + 6 })).toHaveLength(2);
    });

    it('no cap (limit.max = Number.MAX_SAFE_INTEGER, what Infinity becomes) keeps every session', async () => {
      const u = user();
      const t0 = Date.now();
      for (let i = 0; i < 7; i++) {
        expect((await login(u, Number.MAX_SAFE_INTEGER, 'reject', t0 + i)).result.status).toBe('ok');
      }
      expect(await store().listUserSessions(u, { now: t0 + 10 })).toHaveLength(7);
    });

    it('expired index entries are pruned and never counted against the cap', async () => {
      const u = user();
      const t0 = Date.now();
      for (let i = 0; i < 2; i++) {
        const key = keyFor(store(), u);
        await store().rotate({
          now: t0,
          from: null,
          to: { key, session: storedSession({ userId: u, now: t0, idleTimeoutMs: 5 * MIN }) },
          limit: { max: 2, onLimit: 'reject' },
        });
      }
      const later = t0 + 6 * MIN;
      expect(await store().listUserSessions(u, { now: later })).toEqual([]);
      const again = await login(u, 2, 'reject', later);
      expect(again.result.status).toBe('ok');
    });

    it('a session kept alive by touches stays listed, counted and revocable past its first idle deadline', async () => {
      const u = user();
      const t0 = Date.now();
      const key = keyFor(store(), u);
      const session = storedSession({ userId: u, now: t0, idleTimeoutMs: 5 * MIN });
      await store().rotate({
        now: t0,
        from: null,
        to: { key, session },
        limit: { max: 1, onLimit: 'reject' },
      });
      // An active user: a request every 3 minutes touches it, so at +12 min it is live
      // although its first idle deadline was +5.
      for (const m of [3, 6, 9]) {
        const r = await store().load(key, { now: t0 + m * MIN, touchIntervalMs: MIN });
        expect(r.status === 'found' && r.touched).toBe(true);
      }
      const now = t0 + 12 * MIN;
      expect(await live(key, now)).toBe(true);
      expect((await store().listUserSessions(u, { now })).map((s) => s.handle)).toEqual([session.handle]);
      expect((await login(u, 1, 'reject', now)).result.status).toBe('limit');
      expect(await store().revokeUserSessions(u, { now })).toBe(1);
      expect(await live(key, now)).toBe(false);
    });

    it('revokes one session by handle (`only`), and only for its owner', async () => {
      const u = user();
      const a = await login(u, 5, 'evict-oldest');
      const b = await login(u, 5, 'evict-oldest');
      const now = Date.now();
      const only = a.session.handle;
      expect(await store().revokeUserSessions('someone-else', { now, only })).toBe(0);
      expect(await live(a.key)).toBe(true);
      expect(await store().revokeUserSessions(u, { now, only })).toBe(1);
      expect(await live(a.key)).toBe(false);
      expect(await live(b.key)).toBe(true);
      expect(await store().revokeUserSessions(u, { now, only })).toBe(0);
      expect((await store().listUserSessions(u, { now })).map((s) => s.handle)).toEqual([b.session.handle]);
    });

    it('one way to revoke (issue #15): `only` with `except` is refused and revokes nothing', async () => {
      const u = user();
      const a = await login(u, 5, 'evict-oldest');
      const b = await login(u, 5, 'evict-oldest');
      const now = Date.now();
      await expect(
        store().revokeUserSessions(u, { now, only: a.session.handle, except: b.key }),
      ).rejects.toMatchObject({ code: 'invalid_state' });
      expect(await live(a.key)).toBe(true);
      expect(await live(b.key)).toBe(true);
    });

    it('revokes all, or all but one', async () => {
      const u = user();
      const s = [];
      for (let i = 0; i < 3; i++) s.push(await login(u, 5, 'evict-oldest'));
      const now = Date.now();
      expect(await store().revokeUserSessions(u, { now, except: s[1]!.key })).toBe(2);
      expect(await live(s[0]!.key)).toBe(false);
      expect(await live(s[1]!.key)).toBe(true);
      expect(await store().revokeUserSessions(u, { now })).toBe(1);
      expect(await live(s[1]!.key)).toBe(false);
      expect(await store().listUserSessions(u, { now })).toEqual([]);
    });

    it('a destroyed session leaves the index', async () => {
      const u = user();
      const a = await login(u, 5, 'evict-oldest');
      const now = Date.now();
      await store().destroy(a.key, { now, userId: u });
      expect(await store().listUserSessions(u, { now })).toEqual([]);
    });
  });
}
