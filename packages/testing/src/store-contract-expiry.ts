// Store contract cases for expiry and touch: the given clock, idle and absolute deadlines, no revival, server-side TTLs.
import { describe, expect, it } from 'vitest';
import { keyFor, sleep, storedSession } from './fixtures.js';
import { MIN, type StoreCaseContext } from './store-contract-context.js';

export function describeExpiryCases(suite: StoreCaseContext): void {
  const { timeout, resolution, store, load, live } = suite;

  describe('expiry', () => {
    it('is missing once `now` passes the idle deadline (the store uses the given clock)', async () => {
      const now = Date.now();
      const key = keyFor(store());
      await store().create(key, storedSession({ now, idleTimeoutMs: 10 * MIN }), { now });
      expect(await live(key, now + 10 * MIN - 1)).toBe(true);
      expect(await live(key, now + 10 * MIN + 1)).toBe(false);
    });

    it('a session seen expired never revives when the clock steps back', async () => {
      // Regression: a store that answered `missing` for an expired record but kept it let a
      // clock that stepped backwards (NTP, VM resume, a slower peer) bring the session back.
      const now = Date.now();
      const key = keyFor(store());
      await store().create(key, storedSession({ now, idleTimeoutMs: 10 * MIN }), { now });
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
      const key = keyFor(store());
      await store().create(key, storedSession({ now, idleTimeoutMs: 60 * MIN, absoluteTimeoutMs: 5 * MIN }), {
        now,
      });
      expect(await live(key, now + 5 * MIN + 1)).toBe(false);
    });

    it(
      'disappears by itself after its expiry (real time)',
      async () => {
        const now = Date.now();
        const key = keyFor(store());
        await store().create(key, storedSession({ now, idleTimeoutMs: resolution * 2 }), { now });
        await sleep(resolution * 4 + 50);
        expect(await live(key)).toBe(false);
      },
      timeout,
    );

    it('touches only when the touch interval has passed, never past the absolute deadline', async () => {
      const now = Date.now();
      const key = keyFor(store());
      await store().create(
        key,
        storedSession({ now, idleTimeoutMs: 10 * MIN, absoluteTimeoutMs: 15 * MIN }),
        {
          now,
        },
      );
      const inside = await store().load(key, { now: now + 30_000, touchIntervalMs: MIN });
      expect(inside.status === 'found' && inside.touched).toBe(false);
      expect(inside.status === 'found' && inside.session.lastSeenAt).toBe(now);
      const due = await store().load(key, { now: now + 8 * MIN, touchIntervalMs: MIN });
      expect(due.status === 'found' && due.touched).toBe(true);
      expect(due.status === 'found' && due.session.lastSeenAt).toBe(now + 8 * MIN);
      // Alive past the first idle deadline thanks to the touch...
      expect(await live(key, now + 12 * MIN)).toBe(true);
      // ...but never past the absolute one, however often it is touched.
      await store().load(key, { now: now + 14 * MIN, touchIntervalMs: 0 });
      expect(await live(key, now + 15 * MIN + 1)).toBe(false);
    });

    it(
      'a touch extends the real expiry, and only up to the absolute deadline',
      async () => {
        const now = Date.now();
        const key = keyFor(store());
        const idle = resolution * 4;
        await store().create(
          key,
          storedSession({ now, idleTimeoutMs: idle, absoluteTimeoutMs: idle * 100 }),
          { now },
        );
        await sleep(idle / 2);
        const r = await store().load(key, { now: Date.now(), touchIntervalMs: 0 });
        expect(r.status === 'found' && r.touched).toBe(true);
        await sleep(idle / 2 + resolution);
        expect(await live(key)).toBe(true);
        const short = keyFor(store());
        const t0 = Date.now();
        await store().create(
          short,
          storedSession({ now: t0, idleTimeoutMs: idle * 100, absoluteTimeoutMs: idle }),
          {
            now: t0,
          },
        );
        await store().load(short, { now: Date.now(), touchIntervalMs: 0 });
        await sleep(idle + resolution * 2);
        expect(await live(short)).toBe(false);
      },
      timeout,
    );
  });
}
