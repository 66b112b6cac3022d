import { describe, expect, it } from 'vitest';
import { clientOf, ipPrefixOf, resolveClientIp, SessionError, validateTrustProxy } from '../src/index.js';

describe('ipPrefixOf', () => {
  it.each([
    ['203.0.113.7', '203.0.113.0/24'],
    ['::ffff:203.0.113.7', '203.0.113.0/24'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['256.1.1.1', ''],
    ['1:2:3', ''],
    ['::1::2', ''],
    ['not an ip', ''],
    ['', ''],
  ])('%s -> %s', (ip, prefix) => {
    expect(ipPrefixOf(ip)).toBe(prefix);
  });

  it('truncates a huge user agent and hashes it', () => {
    const c = clientOf('1.2.3.4', 'x'.repeat(10_000));
    expect(c.userAgent).toHaveLength(256);
    expect(c.uaHash).toMatch(/^[A-Za-z0-9_-]{12}$/);
  });
});

describe('resolveClientIp (trustProxy)', () => {
  it('ignores X-Forwarded-For by default', () => {
    expect(resolveClientIp('10.0.0.1', '6.6.6.6', false)).toBe('10.0.0.1');
    expect(resolveClientIp('::ffff:10.0.0.1', '6.6.6.6', 0)).toBe('10.0.0.1');
  });
  it('walks back exactly the trusted hops', () => {
    expect(resolveClientIp('10.0.0.1', '6.6.6.6, 1.2.3.4', 1)).toBe('1.2.3.4');
    expect(resolveClientIp('10.0.0.1', '6.6.6.6, 1.2.3.4', 2)).toBe('6.6.6.6');
    expect(resolveClientIp('10.0.0.1', '1.2.3.4', 5)).toBe('1.2.3.4');
  });
  it('a predicate trusts only known proxies', () => {
    const trust = (addr: string) => addr.startsWith('10.');
    expect(resolveClientIp('10.0.0.1', '6.6.6.6, 10.0.0.2, 1.2.3.4', trust)).toBe('1.2.3.4');
    expect(resolveClientIp('9.9.9.9', '1.2.3.4', trust)).toBe('9.9.9.9');
  });
  it('validates the option', () => {
    expect(() => validateTrustProxy(-1)).toThrow(SessionError);
    expect(() => validateTrustProxy('yes')).toThrow(SessionError);
    expect(validateTrustProxy(undefined)).toBe(false);
  });
});
