import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashBackend, hmacSha256, nobleHmacSha256Of, nobleSha256Of, sha256 } from '../src/internal/hash.js';

describe('hashing backends', () => {
  it('uses the native hash on Node', () => {
    expect(hashBackend).toBe('native');
  });

  it('native and @noble/hashes agree byte for byte (2,000 random inputs)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.uint8Array({ minLength: 32, maxLength: 64 }),
        (text, key) => {
          expect(Array.from(sha256(text))).toEqual(Array.from(nobleSha256Of(text)));
          expect(Array.from(hmacSha256(key, text))).toEqual(Array.from(nobleHmacSha256Of(key, text)));
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
