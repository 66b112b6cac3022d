import { describe, expect, it } from 'vitest';
import { clientChanges } from '../src/client.js';
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
    ['010.001.2.3', '10.1.2.0/24'],
    ['1.2.3.255', '1.2.3.0/24'],
    ['1.2.3.256', ''],
    ['1.2.3', ''],
    ['1.2.3.4.', ''],
    ['.1.2.3', ''],
    ['1..2.3', ''],
    ['1234.1.1.1', ''],
    ['1.2.3.4 ', ''],
    ['１.2.3.4', ''],
  ])('%s -> %s', (ip, prefix) => {
    expect(ipPrefixOf(ip)).toBe(prefix);
  });

  it('reads dotted IPv4 exactly as the pattern /^(\\d{1,3})\\.(…){3}$/ with each group ≤ 255 does', () => {
    const reference = (ip: string) => {
      const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
      if (!m || m.slice(1).some((p) => Number(p) > 255)) return null;
      return `${Number(m[1])}.${Number(m[2])}.${Number(m[3])}.0/24`;
    };
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = '0123456789.....25x';
    for (let n = 0; n < 20_000; n++) {
      let ip = '';
      const length = 1 + rand(17);
      for (let i = 0; i < length; i++) ip += alphabet[rand(alphabet.length)];
      const expected = reference(ip);
      // Anything that is not dotted IPv4 goes on to the IPv6 reading, which has no colon here.
      expect([ip, ipPrefixOf(ip)]).toEqual([ip, expected ?? '']);
    }
  });

  it('truncates a huge user agent and hashes it', () => {
    const c = clientOf('1.2.3.4', 'x'.repeat(10_000));
    expect(c.userAgent).toHaveLength(256);
    expect(c.uaHash).toMatch(/^[A-Za-z0-9_-]{12}$/);
  });
});

describe('clientChanges', () => {
  const at = (ip: string) => clientOf(ip, 'UA');
  it('the same network is no change; another network is', () => {
    expect(clientChanges(at('1.2.3.4'), at('1.2.3.99'))).toEqual([]);
    expect(clientChanges(at('1.2.3.4'), at('1.2.4.4')).map((c) => c.kind)).toEqual(['ip']);
  });
  it('an address known on one side only is a change (an unparsable IP cannot dodge a reject binding)', () => {
    expect(clientChanges(at('1.2.3.4'), at('x')).map((c) => c.kind)).toEqual(['ip']);
    expect(clientChanges(at('x'), at('1.2.3.4')).map((c) => c.kind)).toEqual(['ip']);
    expect(clientChanges(at(''), at('not-an-ip'))).toEqual([]);
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
  it('a client that prepends any number of entries cannot push the proxy-written one out', () => {
    for (const n of [1, 63, 64, 65, 1000]) {
      const forged = Array.from({ length: n }, () => '6.6.6.6').join(', ');
      expect(resolveClientIp('10.0.0.1', `${forged}, 198.51.100.7`, 1)).toBe('198.51.100.7');
      expect(resolveClientIp('10.0.0.1', `${forged},198.51.100.7`, (a) => a.startsWith('10.'))).toBe(
        '198.51.100.7',
      );
    }
  });
  it('stops at an entry that is not an IP address and keeps the last one it could vouch for', () => {
    // Trusting more hops than there are proxies reaches client-written text: never adopted.
    expect(resolveClientIp('10.0.0.1', 'x, 198.51.100.7', 2)).toBe('198.51.100.7');
    expect(resolveClientIp('10.0.0.1', 'not-an-ip', 1)).toBe('10.0.0.1');
    expect(resolveClientIp('10.0.0.1', ', , 198.51.100.7', 3)).toBe('198.51.100.7');
    expect(resolveClientIp('10.0.0.1', '198.51.100.7, ', 1)).toBe('10.0.0.1');
    expect(resolveClientIp('10.0.0.1', `${'1'.repeat(65)}`, 1)).toBe('10.0.0.1');
    expect(resolveClientIp('10.0.0.1', '2001:db8::1, ::ffff:198.51.100.7', 2)).toBe('2001:db8::1');
  });
  it('walks at most 64 hops, whatever the predicate says', () => {
    const chain = Array.from({ length: 100 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(', ');
    const seen: number[] = [];
    const ip = resolveClientIp('10.9.9.9', chain, (_a, hop) => {
      seen.push(hop);
      return true;
    });
    expect(seen).toHaveLength(64);
    expect(ip).toBe('10.0.0.36');
  });
  it('validates the option', () => {
    expect(() => validateTrustProxy(-1)).toThrow(SessionError);
    expect(() => validateTrustProxy('yes')).toThrow(SessionError);
    expect(validateTrustProxy(undefined)).toBe(false);
  });
});
