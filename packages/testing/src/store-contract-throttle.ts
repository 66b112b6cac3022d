// Store contract cases for the login throttle's counters (`store.throttle`): exact counts under concurrency, expiry by the given clock, reset on success, and the throttle on top giving unknown and known accounts the same answers.
import {
  createLoginThrottle,
  ManualClock,
  type ThrottleCounters,
  type ThrottleKeys,
} from '@tessera/session-core';
import { describe, expect, it, type TestContext } from 'vitest';
import { randomId } from './fixtures.js';
import { instrumentStore } from './instrumented-store.js';
import { MIN, type StoreCaseContext } from './store-contract-context.js';

const NO_COUNTERS = 'the store has no `throttle` counters (an optional capability)';
const NOT_ATOMIC = 'throttle.atomic is false: parallel failures may be lost';
const WINDOW = 15 * MIN;

export function describeThrottleCases(suite: StoreCaseContext): void {
  const { timeout, n, store } = suite;
  const keys = (): ThrottleKeys => ({ account: randomId(), ip: randomId() });
  /** The counters, or a skip with the reason when the store has none. */
  const countersOr = (ctx: TestContext): ThrottleCounters | undefined => {
    const counters = store().throttle;
    if (!counters) ctx.skip(NO_COUNTERS);
    return counters;
  };

  describe('login throttle counters', () => {
    it('absent counters read as zero', async (ctx) => {
      const c = countersOr(ctx)!;
      const counts = await c.read(keys(), { now: Date.now(), accountWindowMs: WINDOW, ipWindowMs: WINDOW });
      expect(counts).toEqual({ account: { count: 0, lastAt: 0 }, ip: { count: 0, lastAt: 0 } });
    });

    it('a failure counts on the account and the IP, and answers the counts after it', async (ctx) => {
      const c = countersOr(ctx)!;
      const k = keys();
      const now = Date.now();
      expect(await c.fail(k, { now, accountWindowMs: WINDOW, ipWindowMs: WINDOW })).toEqual({
        account: { count: 1, lastAt: now },
        ip: { count: 1, lastAt: now },
      });
      const other = { account: randomId(), ip: k.ip };
      const after = await c.fail(other, { now: now + 1000, accountWindowMs: WINDOW, ipWindowMs: WINDOW });
      expect(after.account).toEqual({ count: 1, lastAt: now + 1000 });
      expect(after.ip).toEqual({ count: 2, lastAt: now + 1000 });
      expect(
        (await c.read(k, { now: now + 2000, accountWindowMs: WINDOW, ipWindowMs: WINDOW })).account,
      ).toEqual({ count: 1, lastAt: now });
    });

    it(
      `${n} parallel failures for one account count exactly ${n} (no lost increments)`,
      async (ctx) => {
        const c = countersOr(ctx)!;
        if (!c.atomic) return ctx.skip(NOT_ATOMIC);
        const k = keys();
        const now = Date.now();
        const answers = await Promise.all(
          Array.from({ length: n }, () => c.fail(k, { now, accountWindowMs: WINDOW, ipWindowMs: WINDOW })),
        );
        // Every increment answered its own count: 1..n, each exactly once.
        expect(answers.map((a) => a.account.count).sort((x, y) => x - y)).toEqual(
          Array.from({ length: n }, (_, i) => i + 1),
        );
        expect(await c.read(k, { now, accountWindowMs: WINDOW, ipWindowMs: WINDOW })).toEqual({
          account: { count: n, lastAt: now },
          ip: { count: n, lastAt: now },
        });
      },
      timeout,
    );

    it('a counter expires windowMs after its latest failure, by the given clock, and restarts at 1', async (ctx) => {
      const c = countersOr(ctx)!;
      const k = keys();
      const now = Date.now();
      await c.fail(k, { now, accountWindowMs: WINDOW, ipWindowMs: WINDOW });
      await c.fail(k, { now: now + 5 * MIN, accountWindowMs: WINDOW, ipWindowMs: WINDOW });
      const alive = await c.read(k, {
        now: now + 5 * MIN + WINDOW - 1,
        accountWindowMs: WINDOW,
        ipWindowMs: WINDOW,
      });
      expect(alive.account).toEqual({ count: 2, lastAt: now + 5 * MIN });
      const gone = await c.read(k, {
        now: now + 5 * MIN + WINDOW,
        accountWindowMs: WINDOW,
        ipWindowMs: WINDOW,
      });
      expect(gone).toEqual({ account: { count: 0, lastAt: 0 }, ip: { count: 0, lastAt: 0 } });
      const again = await c.fail(k, {
        now: now + 5 * MIN + WINDOW,
        accountWindowMs: WINDOW,
        ipWindowMs: WINDOW,
      });
      expect(again.account).toEqual({ count: 1, lastAt: now + 5 * MIN + WINDOW });
    });

    it('each counter expires by its own window (the account keeps its failures longer)', async (ctx) => {
      const c = countersOr(ctx)!;
      const k = keys();
      const now = Date.now();
      const windows = { accountWindowMs: 2 * WINDOW, ipWindowMs: WINDOW };
      await c.fail(k, { now, ...windows });
      expect(await c.read(k, { now: now + WINDOW, ...windows })).toEqual({
        account: { count: 1, lastAt: now },
        ip: { count: 0, lastAt: 0 },
      });
      const next = await c.fail(k, { now: now + WINDOW, ...windows });
      expect(next).toEqual({
        account: { count: 2, lastAt: now + WINDOW },
        ip: { count: 1, lastAt: now + WINDOW },
      });
    });

    it('lastAt never moves backwards when the clock steps back', async (ctx) => {
      const c = countersOr(ctx)!;
      const k = keys();
      const now = Date.now();
      await c.fail(k, { now, accountWindowMs: WINDOW, ipWindowMs: WINDOW });
      const after = await c.fail(k, { now: now - MIN, accountWindowMs: WINDOW, ipWindowMs: WINDOW });
      expect(after.account).toEqual({ count: 2, lastAt: now });
    });

    it("a success forgets the account's counter, never the IP's", async (ctx) => {
      const c = countersOr(ctx)!;
      const k = keys();
      const now = Date.now();
      for (let i = 0; i < 3; i++) await c.fail(k, { now, accountWindowMs: WINDOW, ipWindowMs: WINDOW });
      await c.reset(k, { now });
      expect(await c.read(k, { now, accountWindowMs: WINDOW, ipWindowMs: WINDOW })).toEqual({
        account: { count: 0, lastAt: 0 },
        ip: { count: 3, lastAt: now },
      });
    });

    it('the throttle answers an unknown and a known account alike, with the same store calls', async (ctx) => {
      const c = countersOr(ctx)!;
      const instrumented = instrumentStore(store());
      const clock = new ManualClock(Date.now());
      const throttle = createLoginThrottle({
        store: instrumented,
        clock,
        logger: false,
        allowNonAtomicCounters: !c.atomic,
      });
      // "alice" exists in the app, the other one does not: the throttle cannot know, and must not care.
      const run = async (account: string) => {
        const ip = `198.51.100.${Math.floor(Math.random() * 250)}`;
        instrumented.reset();
        const answers = [];
        for (let i = 0; i < 6; i++) {
          answers.push(await throttle.check({ account, ip }));
          answers.push(await throttle.record({ account, ip }, false));
        }
        return { answers, calls: { ...instrumented.throttleCounts } };
      };
      const known = await run(`alice-${randomId().slice(0, 8)}`);
      const unknown = await run(`nobody-${randomId().slice(0, 8)}`);
      expect(unknown).toEqual(known);
      expect(known.calls).toEqual({ read: 6, fail: 6, reset: 0 });
      expect(known.answers.at(-1)).toEqual({ allowed: false, retryAfterMs: 2 * MIN, scope: 'account' });
    });
  });
}
