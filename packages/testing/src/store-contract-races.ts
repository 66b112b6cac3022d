// Store contract cases for races: parallel logins at the cap, parallel updates, late updates, double rotation, revoke-all.
import { describe, expect, it, type TestContext } from 'vitest';
import { keyFor, storedSession } from './fixtures.js';
import {
  NOT_ATOMIC_MERGE,
  NOT_ATOMIC_ROTATE,
  NOT_NO_RESURRECT,
  type StoreCaseContext,
} from './store-contract-context.js';

export function describeRaceCases(suite: StoreCaseContext): void {
  const { timeout, n, store, user, load, live, login } = suite;

  describe('races', () => {
    const capCase = (onLimit: 'evict-oldest' | 'reject') => async (ctx: TestContext) => {
      if (!store().capabilities.atomicRotate) return ctx.skip(NOT_ATOMIC_ROTATE);
      const u = user();
      const results = await Promise.all(Array.from({ length: n }, () => login(u, 5, onLimit)));
      const now = Date.now();
      const alive = (await Promise.all(results.map((r) => live(r.key, now)))).filter(Boolean).length;
      expect(alive).toBe(5);
      expect(await store().listUserSessions(u, { now })).toHaveLength(5);
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
        if (!store().capabilities.atomicMerge) return ctx.skip(NOT_ATOMIC_MERGE);
        const now = Date.now();
        const key = keyFor(store());
        await store().create(key, storedSession({ now, data: { base: true } }), { now });
        const results = await Promise.all(
          Array.from({ length: n }, (_, i) =>
            store().update(key, { set: { [`k${i}`]: String(i) }, unset: [] }, { now }),
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
      if (!store().capabilities.noResurrect) return ctx.skip(NOT_NO_RESURRECT);
      const now = Date.now();
      const u = user();
      const { key } = await login(u, 5, 'evict-oldest', now);
      await store().destroy(key, { now, userId: u });
      expect(await store().update(key, { set: { late: '1' }, unset: [] }, { now })).toBe('missing');
      expect(await live(key, now)).toBe(false);
      expect(await store().listUserSessions(u, { now })).toEqual([]);
    });

    it('two concurrent rotations of one session: exactly one succeeds', async (ctx) => {
      if (!store().capabilities.atomicRotate) return ctx.skip(NOT_ATOMIC_ROTATE);
      const u = user();
      const { key: from } = await login(u, 5, 'evict-oldest');
      const now = Date.now();
      const targets = [keyFor(store(), u), keyFor(store(), u)];
      const results = await Promise.all(
        targets.map((key) =>
          store().rotate({
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
      if (!store().capabilities.atomicRotate) return ctx.skip(NOT_ATOMIC_ROTATE);
      const u = user();
      const before = await Promise.all(Array.from({ length: 5 }, () => login(u, 10, 'evict-oldest')));
      const [revoked] = await Promise.all([
        store().revokeUserSessions(u, { now: Date.now() }),
        ...Array.from({ length: 5 }, () => login(u, 10, 'evict-oldest')),
      ]);
      expect(revoked).toBeGreaterThanOrEqual(5);
      for (const b of before) expect(await live(b.key)).toBe(false);
    });
  });
}
