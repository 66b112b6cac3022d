import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCookie, resolveCookieOptions, SessionError, serializeCookie } from '../src/index.js';

describe('cookie options', () => {
  it('secure defaults: __Host-sid; Path=/; HttpOnly; Secure; SameSite=Lax (snapshot)', () => {
    const o = resolveCookieOptions();
    expect(serializeCookie(o, 'TOKEN')).toMatchInlineSnapshot(
      `"__Host-sid=TOKEN; Path=/; HttpOnly; Secure; SameSite=Lax"`,
    );
    expect(serializeCookie(o, '', { maxAge: 0 })).toMatchInlineSnapshot(
      `"__Host-sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax"`,
    );
  });

  it.each([
    [{ name: '__Host-sid', secure: false }, /requires secure/],
    [{ name: '__Host-sid', path: '/app' }, /requires path/],
    [{ name: '__Host-sid', domain: 'example.com' }, /forbids a domain/],
    [{ name: '__Secure-sid', secure: false }, /requires secure/],
    [{ name: 'sid', secure: false, sameSite: 'none' as const }, /requires secure/],
    [{ name: 'a;b' }, /not a valid cookie name/],
    [{ name: 'sid\r\nX-Evil: 1' }, /not a valid cookie name/],
    [{ path: '/a;Domain=evil' }, /path/],
    [{ path: '/a\nb' }, /path/],
    [{ name: 'sid', domain: 'a.com; Secure' }, /domain/],
    [{ sameSite: 'sideways' as 'lax' }, /sameSite/],
    [{ secure: 'yes' as unknown as boolean }, /boolean/],
  ])('rejects %j at start-up', (options, message) => {
    expect(() => resolveCookieOptions(options)).toThrow(SessionError);
    expect(() => resolveCookieOptions(options)).toThrow(message);
  });

  it('plain-http development: name falls back to `sid` without the prefix', () => {
    expect(resolveCookieOptions({ secure: false }).name).toBe('sid');
  });

  it('refuses a cookie value outside cookie-octet, and Set-Cookie over 4096 bytes', () => {
    const o = resolveCookieOptions();
    expect(() => serializeCookie(o, 'a;b')).toThrow(SessionError);
    expect(() => serializeCookie(o, 'a'.repeat(5000))).toThrow(/4096/);
  });
});

describe('readCookie', () => {
  const name = '__Host-sid';
  it.each([
    [undefined, { status: 'absent' }],
    ['', { status: 'absent' }],
    ['   ', { status: 'absent' }],
    ['__Host-sid=abc', { status: 'found', value: 'abc' }],
    ['a=1;  __Host-sid = abc ;b=2', { status: 'found', value: 'abc' }],
    ['__Host-sid=abc; __Host-sid=abc', { status: 'found', value: 'abc' }],
    ['__Host-sid=abc; __Host-sid=def', { status: 'duplicate' }],
    ['%5F%5FHost-sid=abc', { status: 'absent' }],
    ['\u00A0__Host-sid=abc', { status: 'absent' }],
    ['__host-sid=abc', { status: 'absent' }],
    ['sid=abc', { status: 'absent' }],
    ['sid=x; __Host-sid=abc', { status: 'found', value: 'abc' }],
    ['__proto__=1; constructor=2', { status: 'absent' }],
  ])('%j', (header, expected) => {
    expect(readCookie(header, name)).toEqual(expected);
  });

  it('ignores an oversized header whole, and stops after maxPairs', () => {
    expect(readCookie(`${'a=b; '.repeat(13_000)}__Host-sid=x`, name)).toEqual({ status: 'oversized' });
    const many = `${Array.from({ length: 10_000 }, (_, i) => `c${i}=v`).join(';')};__Host-sid=x`;
    expect(readCookie(many, name, { maxHeaderBytes: 1 << 20, maxPairs: 256 })).toEqual({ status: 'absent' });
  });

  it('never throws on any string (10,000 runs)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (header) => {
        const r = readCookie(header, name);
        expect(['absent', 'found', 'duplicate', 'oversized']).toContain(r.status);
      }),
      { numRuns: 10_000 },
    );
  });
});
