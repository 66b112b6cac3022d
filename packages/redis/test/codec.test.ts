/**
 * The hash codec on its own (no server): what a read decodes, and how strictly. A field a
 * read cannot trust must make the record corrupt or invalid, never a different number.
 */
import { clientOf, handleOf, type StoredSession } from '@tessera/session-core';
import { describe, expect, it } from 'vitest';
import { decodeSession, encodeSession, int, metaOf } from '../src/internal/codec.js';

/** What `int` must accept: 1-16 ASCII digits, no leading zero, a safe integer. */
const reference = (raw: string) =>
  /^(0|[1-9][0-9]{0,15})$/.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : undefined;

const ID = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const HANDLE = handleOf({ id: ID, tag: '' });

const session: StoredSession = {
  version: 1,
  handle: HANDLE,
  userId: 'user-7',
  createdAt: 1_796_520_566_229,
  lastSeenAt: 1_796_520_600_000,
  idleTimeoutMs: 1_800_000,
  absoluteExpiresAt: 1_796_549_366_229,
  authenticatedAt: 1_796_520_566_230,
  client: clientOf('203.0.113.9', `Mozilla/5.0 ${'x'.repeat(150)} ü`),
  data: { n: '0', cart: '["a","b"]' },
};

describe('int', () => {
  it.each([
    '0',
    '7',
    '1796520566229',
    '9007199254740991',
    '9007199254740992',
    '9999999999999999',
    '',
    '00',
    '01',
    '-1',
    '+1',
    '1e3',
    '1.0',
    ' 1',
    '1 ',
    '0x1',
    '１',
    '12345678901234567',
  ])('reads %j as the reference does', (raw) => {
    expect(int(raw)).toBe(reference(raw));
  });

  it('agrees with the reference on 20,000 random digit strings', () => {
    let seed = 11;
    const rand = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    for (let n = 0; n < 20_000; n++) {
      let raw = '';
      const length = rand(19);
      for (let i = 0; i < length; i++) raw += '00123456789x-'[rand(13)];
      expect([raw, int(raw)]).toEqual([raw, reference(raw)]);
    }
  });

  it('is undefined for what is not a string', () => {
    expect(int(undefined)).toBeUndefined();
    expect(int(12)).toBeUndefined();
  });
});

describe('metaOf', () => {
  it('reads the six numbers, each as int does', () => {
    expect(metaOf('1|1796520600000|1800000|1796549366229|24|2')).toEqual([
      1, 1_796_520_600_000, 1_800_000, 1_796_549_366_229, 24, 2,
    ]);
    expect(metaOf('1|01|x||24|2')).toEqual([1, undefined, undefined, undefined, 24, 2]);
  });
  it.each(['', '1|2|3|4|5', '1|2|3|4|5|6|', '1|2|3|4|5|6|7', '|||||||'])('%j has not six parts', (m) => {
    expect(metaOf(m)).toBeUndefined();
  });
});

describe('decodeSession', () => {
  it('gives back what encodeSession wrote', () => {
    expect(decodeSession(encodeSession(session, HANDLE), HANDLE)).toEqual(session);
    const anonymous = { ...session, userId: null, authenticatedAt: null, client: null, data: {} };
    expect(decodeSession(encodeSession(anonymous, HANDLE), HANDLE)).toEqual(anonymous);
  });

  /** The encoded session with field `name`'s value replaced. */
  const withField = (name: string, value: string) => {
    const flat = encodeSession(session, HANDLE);
    flat[flat.indexOf(name) + 1] = value;
    return flat;
  };

  it.each([
    ['1|1796520600000|1800000|1796549366229|24', 'malformed field "m"'],
    ['1|1796520600000|1800000|1796549366229|24|2|9', 'malformed field "m"'],
    ['1|1796520600000|1800000|1796549366229|-1|2', 'malformed field "m"'],
    ['1|1796520600000|1800000|1796549366229|24|02', 'malformed field "m"'],
    ['2|1796520600000|1800000|1796549366229|24|2', 'unknown version 2'],
    ['01|1796520600000|1800000|1796549366229|24|2', 'unknown version undefined'],
    ['1|1796520600000.5|1800000|1796549366229|24|2', 'bad lastSeenAt'],
    ['1|1796520600000|-1|1796549366229|24|2', 'bad idleTimeoutMs'],
    ['1|1796520600000|1800000|17965493662290000000|24|2', 'bad absoluteExpiresAt'],
  ])('m = %j is refused: %s', (m, problem) => {
    expect(decodeSession(withField('m', m), HANDLE)).toBe(problem);
  });

  it.each([
    ['1e12', 'bad createdAt'],
    ['|1796520566230', 'bad createdAt'],
    ['1796520566229| 1796520566230', 'bad authenticatedAt'],
    ['1796520566229|', 'bad authenticatedAt'],
    ['1796520566229|1|2', 'bad authenticatedAt'],
  ])('c = %j is refused (%s), not read as another number', (c, problem) => {
    expect(decodeSession(withField('c', c), HANDLE)).toBe(problem);
  });

  it('keeps what the core derives only when it is not derived: prefix, user-agent hash, handle', () => {
    const fields = (s: StoredSession) => encodeSession(s, HANDLE).filter((_, i) => i % 2 === 0);
    expect(fields(session)).toEqual(['m', 'c', 'u', 'p', 'a0', 'a1', 'a2', 'd:n', 'd:cart']);
    const odd: StoredSession = {
      ...session,
      handle: 'another-handle',
      client: {
        ip: '203.0.113.9',
        ipPrefix: 'elsewhere',
        userAgent: 'conformance/1.0',
        uaHash: 'uaHashValue1',
      },
    };
    expect(fields(odd)).toEqual(['m', 'c', 'h', 'u', 'p', 'q', 'w', 'a0', 'd:n', 'd:cart']);
    expect(decodeSession(encodeSession(odd, HANDLE), HANDLE)).toEqual(odd);
  });

  it('a client is all or nothing: any client field without the ip is refused', () => {
    const anonymous = encodeSession({ ...session, client: null }, HANDLE);
    for (const [field, value] of [
      ['a0', 'Mozilla'],
      ['w', 'uaHashValue1'],
      ['q', '203.0.113.0/24'],
    ])
      expect(decodeSession([...anonymous, field!, value!], HANDLE)).toBe('bad client');
  });

  it('an unknown field or a non-string value is refused', () => {
    expect(decodeSession([...encodeSession(session, HANDLE), 'zz', '1'], HANDLE)).toBe('unknown field "zz"');
    expect(decodeSession(['m', 1], HANDLE)).toBe('non-string field');
    // The layout has no `t`: authenticatedAt lives in `c`.
    expect(decodeSession([...encodeSession(session, HANDLE), 't', '1'], HANDLE)).toBe('unknown field "t"');
  });
});
