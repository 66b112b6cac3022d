/**
 * The login throttle (issue #18): the policy's answers on the injected clock, one store call
 * per check and per record, normalised accounts, IPv6 counted per /64, hashed keys, and
 * fail-closed on a store failure (fail-open only when asked, and then loudly).
 */
import { describe, expect, it, vi } from 'vitest';
import { instrumentStore } from '../../testing/src/instrumented-store.js';
import {
  createLoginThrottle,
  fromKeyValueStore,
  isSessionError,
  type LoginThrottleOptions,
  ManualClock,
  MemoryStore,
  normalizeAccount,
  type ThrottleKeys,
} from '../src/index.js';

const MIN = 60_000;

function setup(options: Partial<LoginThrottleOptions> = {}) {
  const clock = new ManualClock();
  const store = instrumentStore(new MemoryStore({ warnInProduction: false }));
  const logger = { warn: vi.fn(), error: vi.fn() };
  const throttle = createLoginThrottle({ store, clock, logger, storeTimeoutMs: 50, ...options });
  const fail = async (account: string, ip = '203.0.113.9', times = 1) => {
    for (let i = 0; i < times; i++) await throttle.record({ account, ip }, false);
  };
  return { clock, store, logger, throttle, fail };
}

describe('login throttle: policy', () => {
  it('lets maxFailures failures through, then waits 1, 2, 4 min... capped at maxDelayMs', async () => {
    const { throttle, clock, fail } = setup();
    const ip = '203.0.113.9';
    await fail('alice', ip, 4);
    expect(await throttle.check({ account: 'alice', ip })).toEqual({ allowed: true });
    await fail('alice', ip);
    expect(await throttle.check({ account: 'alice', ip })).toEqual({
      allowed: false,
      retryAfterMs: MIN,
      scope: 'account',
    });
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = await throttle.check({ account: 'alice', ip });
      if (answer.allowed) throw new Error('expected a wait');
      waits.push(answer.retryAfterMs);
      clock.advance(answer.retryAfterMs);
      expect(await throttle.check({ account: 'alice', ip })).toEqual({ allowed: true });
      await fail('alice', ip);
    }
    expect(waits).toEqual([MIN, 2 * MIN, 4 * MIN, 8 * MIN, 15 * MIN, 15 * MIN]);
  });

  it('a success resets the account, not the IP; other accounts are unaffected', async () => {
    const { throttle, fail } = setup({ ipMaxFailures: 7 });
    await fail('alice', '203.0.113.9', 5);
    expect((await throttle.check({ account: 'bob', ip: '203.0.113.9' })).allowed).toBe(true);
    await throttle.record({ account: 'alice', ip: '203.0.113.9' }, true);
    expect((await throttle.check({ account: 'alice', ip: '203.0.113.9' })).allowed).toBe(true);
    await fail('carol', '203.0.113.9', 2);
    expect(await throttle.check({ account: 'dave', ip: '203.0.113.9' })).toMatchObject({
      allowed: false,
      scope: 'ip',
      retryAfterMs: 15 * MIN,
    });
    expect((await throttle.check({ account: 'dave', ip: '203.0.113.10' })).allowed).toBe(true);
  });

  it("forgets an account's failures windowMs + maxDelayMs after the latest one, an IP's after windowMs", async () => {
    const { throttle, clock, fail } = setup({ ipMaxFailures: 5 });
    await fail('alice', '203.0.113.9', 4);
    clock.advance(30 * MIN - 1);
    await fail('alice', '203.0.113.10');
    expect(await throttle.check({ account: 'alice', ip: '203.0.113.11' })).toMatchObject({
      scope: 'account',
    });
    await fail('bob', '203.0.113.12', 4);
    clock.advance(15 * MIN);
    await fail('carol', '203.0.113.12');
    expect((await throttle.check({ account: 'dave', ip: '203.0.113.12' })).allowed).toBe(true);
    clock.advance(30 * MIN);
    await fail('alice', '203.0.113.9');
    expect((await throttle.check({ account: 'alice', ip: '203.0.113.9' })).allowed).toBe(true);
  });

  it('normalises the account (trim, NFKC, lower case) and counts IPv6 per /64', async () => {
    expect(normalizeAccount('  ＡｌｉＣｅ ')).toBe('alice');
    const { throttle, fail } = setup({ ipMaxFailures: 3 });
    await fail(' Alice', '2001:db8:1:2::1', 1);
    await fail('ALICE ', '2001:db8:1:2:ffff::7', 1);
    await fail('ａｌｉｃｅ', '2001:db8:1:2::9', 1);
    expect(await throttle.check({ account: 'other', ip: '2001:db8:1:2::abcd' })).toMatchObject({
      scope: 'ip',
    });
    expect((await throttle.check({ account: 'other', ip: '2001:db8:1:3::1' })).allowed).toBe(true);
  });

  it('one store call per check and per record, whatever the answer', async () => {
    const { throttle, store, fail } = setup();
    await fail('alice', '203.0.113.9', 5);
    store.reset();
    await throttle.check({ account: 'alice', ip: '203.0.113.9' });
    await throttle.record({ account: 'bob', ip: '203.0.113.9' }, false);
    await throttle.record({ account: 'bob', ip: '203.0.113.9' }, true);
    expect(store.throttleCounts).toEqual({ read: 1, fail: 1, reset: 1 });
    expect(store.total()).toBe(3);
  });

  it('keys the store by hashes: never the account name or the address; HMAC under a secret', async () => {
    const seen: ThrottleKeys[] = [];
    const inner = new MemoryStore({ warnInProduction: false });
    const seeing =
      <A extends unknown[], T>(fn: (k: ThrottleKeys, ...rest: A) => T) =>
      (k: ThrottleKeys, ...rest: A): T => {
        seen.push(k);
        return fn(k, ...rest);
      };
    const c = inner.throttle;
    const spy = {
      name: 'spy',
      throttle: {
        atomic: true,
        read: seeing(c.read.bind(c)),
        fail: seeing(c.fail.bind(c)),
        reset: seeing(c.reset.bind(c)),
      },
    };
    await createLoginThrottle({ store: spy, logger: false }).check({ account: 'alice', ip: '203.0.113.9' });
    await createLoginThrottle({ store: spy, logger: false, secret: 'x'.repeat(32) }).check({
      account: 'alice',
      ip: '203.0.113.9',
    });
    for (const k of seen) {
      expect(k.account).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(k.ip).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
    expect(seen[0]!.account).not.toBe(seen[1]!.account);
  });

  it('refuses bad options at construction', () => {
    const store = new MemoryStore({ warnInProduction: false });
    const bad: Partial<LoginThrottleOptions>[] = [
      { maxFailures: 0 },
      { windowMs: -1 },
      { baseDelayMs: 20 * MIN },
      { ipMaxFailures: 1.5 },
      { secret: 'short' },
      { storeTimeoutMs: 0 },
    ];
    for (const options of bad) {
      expect(() => createLoginThrottle({ store, ...options })).toThrow(/login throttle|throttle\]/);
    }
    // A shorter cap carries the first wait down with it.
    expect(createLoginThrottle({ store, maxDelayMs: 30_000 }).policy).toMatchObject({
      windowMs: 15 * MIN,
      maxDelayMs: 30_000,
      baseDelayMs: 30_000,
    });
  });

  it('refuses a store without counters, and non-atomic counters unless allowed', () => {
    expect(() => createLoginThrottle({ store: { name: 'bare' } })).toThrow(/no login throttle counters/);
    const kv = fromKeyValueStore({ get: async () => null, set: async () => {}, delete: async () => {} });
    expect(() => createLoginThrottle({ store: kv })).toThrow(/not atomic/);
    expect(createLoginThrottle({ store: kv, allowNonAtomicCounters: true }).policy.maxFailures).toBe(5);
  });
});

describe('login throttle: store failures', () => {
  it('fails closed: check and record reject with store_unavailable, logged once per outage', async () => {
    const { throttle, store, logger } = setup();
    store.mode = 'reject';
    const attempt = { account: 'alice', ip: '203.0.113.9' };
    for (const call of [() => throttle.check(attempt), () => throttle.record(attempt, false)]) {
      const error = await call().then(
        () => null,
        (e: unknown) => e,
      );
      expect(isSessionError(error, 'store_unavailable')).toBe(true);
    }
    expect(logger.error).toHaveBeenCalledTimes(1);
    store.mode = 'hang';
    await expect(throttle.check(attempt)).rejects.toMatchObject({ code: 'store_unavailable' });
    store.mode = 'up';
    expect((await throttle.check(attempt)).allowed).toBe(true);
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });

  it('failOpenOnStoreError lets the attempt through uncounted and warns at every failure', async () => {
    const { throttle, store, logger } = setup({ failOpenOnStoreError: true });
    store.mode = 'reject';
    const attempt = { account: 'alice', ip: '203.0.113.9' };
    expect(await throttle.check(attempt)).toEqual({ allowed: true });
    expect(await throttle.record(attempt, false)).toEqual({ allowed: true });
    expect(logger.warn).toHaveBeenCalledTimes(2);
    expect(String(logger.warn.mock.calls[0]![0])).toMatch(/UNCOUNTED/);
  });
});
