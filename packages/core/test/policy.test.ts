import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, resolvePolicy, SessionError } from '../src/index.js';

describe('policy', () => {
  it('defaults: idle 30 min, absolute 8 h, touch 60 s, cap 5 evict-oldest, binding event, nothing carried at login, CSRF on', () => {
    const p = resolvePolicy();
    expect(p).toMatchObject({
      idleTimeoutMs: 1_800_000,
      absoluteTimeoutMs: 28_800_000,
      touchIntervalMs: 60_000,
      maxSessionsPerUser: 5,
      onLimit: 'evict-oldest',
      clientBinding: 'event',
      keepDataOnLogin: [],
    });
    expect(p.csrf).toMatchObject({ enabled: true, headerName: 'x-csrf-token', fieldName: '_csrf' });
    expect(Object.isFrozen(DEFAULT_POLICY)).toBe(true);
  });

  it('keepDataOnLogin: false is no key; a list is copied and frozen', () => {
    expect(resolvePolicy({ keepDataOnLogin: false }).keepDataOnLogin).toEqual([]);
    const keys = ['cart'];
    const p = resolvePolicy({ keepDataOnLogin: keys });
    keys.push('returnTo');
    expect(p.keepDataOnLogin).toEqual(['cart']);
    expect(Object.isFrozen(p.keepDataOnLogin)).toBe(true);
  });

  it('0 is a real value where it makes sense', () => {
    expect(resolvePolicy({ touchIntervalMs: 0 }).touchIntervalMs).toBe(0);
    expect(resolvePolicy({ idleTimeoutMs: 0 }).idleTimeoutMs).toBe(0);
  });

  it.each([
    [{ idleTimeoutMs: -1 }],
    [{ idleTimeoutMs: Number.NaN }],
    [{ absoluteTimeoutMs: 0 }],
    [{ absoluteTimeoutMs: Number.POSITIVE_INFINITY }],
    [{ touchIntervalMs: 60_000, idleTimeoutMs: 60_000 }],
    [{ maxSessionsPerUser: 0 }],
    [{ maxSessionsPerUser: 2.5 }],
    [{ onLimit: 'drop' as 'reject' }],
    [{ clientBinding: 'strict' as 'off' }],
    [{ storeTimeoutMs: 0 }],
    [{ idleTimeoutMs: '30' as unknown as number }],
    [{ csrf: { headerName: 'x csrf' } }],
    [{ csrf: { trustedOrigins: ['example.com'] } }],
    // Carrying every key would carry what an attacker planted (issue #13.3).
    [{ keepDataOnLogin: true as false }],
    [{ keepDataOnLogin: 'cart' as unknown as string[] }],
    [{ keepDataOnLogin: [''] }],
  ])('rejects %j', (options) => {
    expect(() => resolvePolicy(options)).toThrow(SessionError);
  });

  it('durations are whole ms (stores keep integers) and at most 100 years', () => {
    const p = resolvePolicy({
      idleTimeoutMs: 0.1 * 3 * 60_000,
      absoluteTimeoutMs: 3_600_000.6,
      touchIntervalMs: 1_000,
    });
    expect(p.idleTimeoutMs).toBe(18_000);
    expect(p.absoluteTimeoutMs).toBe(3_600_001);
    expect(resolvePolicy({ absoluteTimeoutMs: 100 * 365.25 * 86_400_000 }).absoluteTimeoutMs).toBe(
      3_155_760_000_000,
    );
    expect(() => resolvePolicy({ absoluteTimeoutMs: 101 * 365.25 * 86_400_000 })).toThrow(/100 years/);
    expect(() => resolvePolicy({ absoluteTimeoutMs: 0.4 })).toThrow(SessionError);
  });

  it('Infinity disables the cap', () => {
    expect(resolvePolicy({ maxSessionsPerUser: Number.POSITIVE_INFINITY }).maxSessionsPerUser).toBe(
      Number.POSITIVE_INFINITY,
    );
  });
});
