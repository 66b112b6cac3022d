// Routing tags (issue #13 item 4): a token's tag must not reveal the user.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sessionErrorOf } from '../../testing/src/store-helpers.js';
import { SHARD_TAG_LENGTH, shardTags } from '../src/index.js';

const SECRET = 'shard-tag-test-secret-0123456789abcdef';

describe('shardTags', () => {
  it('keyed: HMAC-SHA-256 of the user id under the secret, 4 base36 characters, stable per user', () => {
    const tags = shardTags({ store: 'test', secret: SECRET });
    expect(tags.keyed).toBe(true);
    const mac = createHmac('sha256', SECRET).update('tessera/shard-tag/v1\0alice').digest();
    const expected = (mac.readUInt32BE(0) % 36 ** 4).toString(36).padStart(4, '0');
    expect(tags.of('alice')).toBe(expected);
    expect(tags.of('alice')).toBe(tags.of('alice'));
    for (let i = 0; i < 200; i++) expect(tags.of(`user-${i}`)).toMatch(/^[0-9a-z]{4}$/);
    expect(SHARD_TAG_LENGTH).toBe(4);
  });

  it('another secret gives other tags: the tag is not a function of the user id alone', () => {
    const a = shardTags({ store: 'test', secret: SECRET });
    const b = shardTags({ store: 'test', secret: new Uint8Array(32).fill(7) });
    const users = Array.from({ length: 50 }, (_, i) => `user-${i}`);
    const same = users.filter((u) => a.of(u) === b.of(u));
    // 1.68 M values: a chance match among 50 users is ~3e-5; two would mean a broken key.
    expect(same.length).toBeLessThanOrEqual(1);
  });

  it('spreads users over the tag space (no clumping from the truncation)', () => {
    const tags = shardTags({ store: 'test', secret: SECRET });
    const seen = new Set(Array.from({ length: 2000 }, (_, i) => tags.of(`spread-${i}`)));
    // Birthday collisions in 1.68 M values for 2,000 users: about 1.2 expected.
    expect(seen.size).toBeGreaterThan(1990);
  });

  it('anonymous tags are random and shaped like user tags (a tag does not tell signed in from anonymous)', () => {
    const tags = shardTags({ store: 'test', secret: SECRET });
    const anon = Array.from({ length: 50 }, () => tags.of(null));
    expect(new Set(anon).size).toBeGreaterThan(45);
    for (const t of anon) expect(t).toMatch(/^[0-9a-z]{4}$/);
  });

  it('owns: a user session only under its own tag; an anonymous one under any', () => {
    const tags = shardTags({ store: 'test', secret: SECRET });
    expect(tags.owns(tags.of('alice'), 'alice')).toBe(true);
    expect(tags.owns('', 'alice')).toBe(false);
    expect(tags.owns(tags.of('alice') === '0000' ? '0001' : '0000', 'alice')).toBe(false);
    expect(tags.owns('zzzz', null)).toBe(true);
    expect(tags.owns('', null)).toBe(true);
  });

  it("without a secret there is no tag at all: '' for users and anonymous sessions alike", () => {
    const tags = shardTags({ store: 'test', secret: undefined });
    expect(tags.keyed).toBe(false);
    expect(tags.of('alice')).toBe('');
    expect(tags.of(null)).toBe('');
    expect(tags.owns('', 'alice')).toBe(true);
    expect(tags.owns('abcd', 'alice')).toBe(false);
    expect(tags.owns('abcd', null)).toBe(true);
  });

  it('refuses a deployment that needs co-location without a secret, and a short secret', () => {
    expect(
      sessionErrorOf(() => shardTags({ store: 'redis', secret: undefined, neededFor: 'a Redis Cluster' })),
    ).toMatch(/^\[tessera\] \[redis\] a Redis Cluster needs `tagSecret`/);
    expect(sessionErrorOf(() => shardTags({ store: 'redis', secret: 'x'.repeat(31) }))).toMatch(
      /at least 32 bytes/,
    );
    expect(sessionErrorOf(() => shardTags({ store: 'redis', secret: new Uint8Array(31) }))).toMatch(
      /tagSecret/,
    );
    expect(sessionErrorOf(() => shardTags({ store: 'redis', secret: 42 as unknown as string }))).toMatch(
      /tagSecret/,
    );
  });

  it('copies the secret: changing the caller’s array later does not move users', () => {
    const secret = new Uint8Array(32).fill(1);
    const tags = shardTags({ store: 'test', secret });
    const before = tags.of('alice');
    secret.fill(2);
    expect(tags.of('alice')).toBe(before);
  });
});
