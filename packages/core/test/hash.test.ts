import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  hmacSha256,
  sha256,
  sha256Base64Url,
  sha256Base64UrlPortable,
  usesNativeSha256,
} from '../src/internal/hash.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const nodeSha = (d: Uint8Array | string) => createHash('sha256').update(d).digest('hex');
const nodeHmac = (k: Uint8Array, d: Uint8Array | string) => createHmac('sha256', k).update(d).digest('hex');

describe('SHA-256', () => {
  it('matches the FIPS 180-4 examples', () => {
    expect(hex(sha256('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(sha256('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('matches node:crypto at every padding boundary (0-300 bytes)', () => {
    for (let n = 0; n <= 300; n++) {
      const text = 'x'.repeat(n);
      expect(hex(sha256(text)), `length ${n}`).toBe(nodeSha(text));
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 0xff);
      expect(hex(sha256(bytes)), `bytes ${n}`).toBe(nodeSha(bytes));
    }
  });

  it('matches node:crypto on random strings (UTF-8) and bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => hex(sha256(s)) === nodeSha(s)),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => hex(sha256(b)) === nodeSha(b)),
      { numRuns: 2000 },
    );
  });
});

describe('SHA-256 as base64url (the at-rest key, CSRF token, short hashes)', () => {
  const nodeB64 = (d: string) => createHash('sha256').update(d).digest('base64url');

  it("uses Node's one-shot hash here", () => {
    expect(usesNativeSha256).toBe(true);
  });

  it('native and JavaScript paths agree with node:crypto, lone surrogates included', () => {
    const samples = ['', 'abc', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(64), '\ud800', 'a\udfffb', 'é€😀'];
    for (const s of samples) {
      expect(sha256Base64Url(s)).toBe(nodeB64(s));
      expect(sha256Base64UrlPortable(s)).toBe(nodeB64(s));
    }
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 300 }),
        (s) => sha256Base64Url(s) === nodeB64(s) && sha256Base64UrlPortable(s) === nodeB64(s),
      ),
      { numRuns: 2000 },
    );
  });
});

describe('HMAC-SHA-256', () => {
  it('matches RFC 4231 test case 2', () => {
    const key = new TextEncoder().encode('Jefe');
    expect(hex(hmacSha256(key, 'what do ya want for nothing?'))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('matches node:crypto for random keys (short, block-sized, longer than a block) and data', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.uint8Array({ maxLength: 300 })),
        (key, data) => hex(hmacSha256(key, data)) === nodeHmac(key, data),
      ),
      { numRuns: 2000 },
    );
    // The same key object again (its pad states are remembered) still gives the right answer.
    const key = new Uint8Array(64).fill(7);
    for (const data of ['a', 'b', 'x'.repeat(100)])
      expect(hex(hmacSha256(key, data))).toBe(nodeHmac(key, data));
  });
});
