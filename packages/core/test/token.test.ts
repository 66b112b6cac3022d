import { describe, expect, it } from 'vitest';
import { handleOf, SessionError, TokenCodec } from '../src/index.js';

const secret = (c: string) => c.repeat(32);

describe('TokenCodec', () => {
  it('mints 256-bit base64url tokens, never UUIDs, all distinct', () => {
    const codec = new TokenCodec();
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const sid = codec.mint();
      expect(sid).toMatch(/^[A-Za-z0-9_-]{43}$/);
      seen.add(sid);
    }
    expect(seen.size).toBe(1000);
  });

  it('carries the store routing tag and parses it back', () => {
    const codec = new TokenCodec();
    const sid = codec.mint('a1b2');
    expect(sid.startsWith('a1b2.')).toBe(true);
    expect(codec.parse(sid)).toEqual({ ok: true, sid, tag: 'a1b2' });
    expect(() => codec.mint('Bad_Tag')).toThrow(SessionError);
  });

  it.each([
    ['empty', ''],
    ['short', 'abc'],
    ['bad base64url', '!'.repeat(43)],
    ['non-canonical trailing bits', `${'A'.repeat(42)}B`],
    ['extra dots', `a.b.c.d.${'A'.repeat(43)}`],
    ['bare signature prefix', `.k1.${'A'.repeat(43)}`],
    ['padding', `${'A'.repeat(42)}=`],
    ['too long', 'A'.repeat(500)],
  ])('rejects %s as malformed', (_, value) => {
    expect(new TokenCodec().parse(value)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('signs with the newest key, verifies with every listed key, rejects removed keys', () => {
    const v1 = new TokenCodec({ keys: [{ id: 'k1', secret: secret('a') }] });
    const sid = v1.mint();
    const old = v1.toCookieValue(sid);
    expect(old).toMatch(/^[A-Za-z0-9_-]{43}\.k1\.[A-Za-z0-9_-]{43}$/);
    const v2 = new TokenCodec({
      keys: [
        { id: 'k2', secret: secret('b') },
        { id: 'k1', secret: secret('a') },
      ],
    });
    expect(v2.parse(old)).toEqual({ ok: true, sid, tag: '' });
    expect(v2.toCookieValue(sid)).toContain('.k2.');
    const v3 = new TokenCodec({ keys: [{ id: 'k2', secret: secret('b') }] });
    expect(v3.parse(old)).toEqual({ ok: false, reason: 'forged' });
  });

  it('rejects bit-flipped, truncated, wrong-key and unsigned tokens when signing is on', () => {
    const codec = new TokenCodec({ keys: [{ id: 'k1', secret: secret('a') }] });
    const good = codec.toCookieValue(codec.mint());
    const flipped = good.slice(0, -2) + (good.at(-2) === 'A' ? 'B' : 'A') + good.at(-1);
    expect(codec.parse(flipped).ok).toBe(false);
    expect(codec.parse(good.slice(0, -1)).ok).toBe(false);
    const other = new TokenCodec({ keys: [{ id: 'k1', secret: secret('z') }] });
    expect(codec.parse(other.toCookieValue(other.mint()))).toEqual({ ok: false, reason: 'forged' });
    expect(codec.parse(codec.mint())).toEqual({ ok: false, reason: 'forged' });
  });

  it('refuses short secrets and duplicate key ids at construction', () => {
    expect(() => new TokenCodec({ keys: [{ id: 'k', secret: 'short' }] })).toThrow(/at least 32 bytes/);
    expect(
      () =>
        new TokenCodec({
          keys: [
            { id: 'k', secret: secret('a') },
            { id: 'k', secret: secret('b') },
          ],
        }),
    ).toThrow(/duplicate/);
    expect(() => new TokenCodec({ atRestSecret: 'x' })).toThrow(SessionError);
  });

  it('hashes at rest: the store key never contains the token; HMAC with atRestSecret', () => {
    const plain = new TokenCodec();
    const peppered = new TokenCodec({ atRestSecret: secret('p') });
    const sid = plain.mint();
    const a = plain.keyOf(sid, '');
    const b = peppered.keyOf(sid, '');
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.id).not.toContain(sid.slice(0, 8));
    expect(a.id).not.toBe(b.id);
    expect(handleOf(a)).toHaveLength(16);
    expect(plain.csrfTokenOf(sid)).not.toBe(a.id);
  });
});
