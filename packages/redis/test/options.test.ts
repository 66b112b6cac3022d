import { xxh32 } from '@node-rs/xxhash';
import { sessionErrorOf } from '@tessera/session-testing';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { redisStore } from '../src/index.js';
import { fakeClient } from './fake-client.js';

const fake = fakeClient;

describe('redisStore options', () => {
  it('rejects a prefix that would override the hash tag', () => {
    expect(sessionErrorOf(() => redisStore({ client: fake, keyPrefix: 'app{x}:' }))).toMatch(/keyPrefix/);
    expect(sessionErrorOf(() => redisStore({ client: fake, keyPrefix: 'a b' }))).toMatch(/keyPrefix/);
  });

  it('rejects a client prefix with braces too', () => {
    const prefixed = Object.assign(Object.create(fake), { options: { keyPrefix: '{app}' } }) as Redis;
    expect(sessionErrorOf(() => redisStore({ client: prefixed }))).toMatch(/client's `keyPrefix`/);
  });

  it('rejects timeouts that are not positive numbers', () => {
    for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(sessionErrorOf(() => redisStore({ client: fake, timeoutMs }))).toMatch(/timeoutMs/);
    }
  });

  it('data limits are whole numbers from 1, declared as store.limits (64 KiB and 256 keys by default)', () => {
    for (const maxDataBytes of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(sessionErrorOf(() => redisStore({ client: fake, maxDataBytes }))).toMatch(/maxDataBytes/);
    }
    expect(sessionErrorOf(() => redisStore({ client: fake, maxKeys: 0 }))).toMatch(/maxKeys/);
    expect(redisStore({ client: fake }).limits).toEqual({ maxDataBytes: 65_536, maxKeys: 256 });
    expect(redisStore({ client: fake, maxKeys: 1_000 }).limits).toEqual({
      maxDataBytes: 65_536,
      maxKeys: 1_000,
    });
  });

  it('rejects something that is not an ioredis client', () => {
    expect(sessionErrorOf(() => redisStore({ client: {} as Redis }))).toMatch(/ioredis/);
  });

  it('accepts an empty prefix, and answers missing for a tag it could not have made', async () => {
    const store = redisStore({ client: fake, keyPrefix: '' });
    expect(await store.load({ id: 'x', tag: '}{' }, { now: 0, touchIntervalMs: 0 })).toEqual({
      status: 'missing',
    });
  });

  it('rejects a tagSecret shorter than 32 bytes', () => {
    expect(sessionErrorOf(() => redisStore({ client: fake, tagSecret: 'short' }))).toMatch(/tagSecret/);
    expect(sessionErrorOf(() => redisStore({ client: fake, tagSecret: new Uint8Array(31) }))).toMatch(
      /tagSecret/,
    );
  });

  it('Cluster without tagSecret is refused (issue #13: a routing tag derived from the user id in the clear)', () => {
    const cluster = Object.assign(Object.create(fake), { isCluster: true }) as Redis;
    expect(sessionErrorOf(() => redisStore({ client: cluster }))).toMatch(
      /a Redis Cluster needs `tagSecret`/,
    );
    expect(() => redisStore({ client: cluster, tagSecret: SECRET })).not.toThrow();
  });
});

const SECRET = 'options-test-tag-secret-0123456789abcdef';

describe('routing tags (issue #13: the token tag must not reveal the user)', () => {
  const users = Array.from({ length: 50 }, (_, i) => `user-${i}`);

  it("without tagSecret (standalone): no tag at all, '' for users and anonymous sessions", () => {
    const store = redisStore({ client: fake });
    for (const u of users) expect(store.shardTag!(u)).toBe('');
    expect(store.shardTag!(null)).toBe('');
  });

  it('keyed: stable per user, 4 base36 characters, never the unkeyed xxh32(userId) base36 of before', () => {
    const store = redisStore({ client: fake, tagSecret: SECRET });
    for (const u of users) {
      expect(store.shardTag!(u)).toBe(store.shardTag!(u));
      expect(store.shardTag!(u)).toMatch(/^[0-9a-z]{4}$/);
      expect(store.shardTag!(u)).not.toBe(xxh32(u).toString(36));
    }
    expect(store.shardTag!(null)).toMatch(/^[0-9a-z]{4}$/);
  });

  it('keyed: another secret, other tags', () => {
    const a = redisStore({ client: fake, tagSecret: SECRET });
    const b = redisStore({ client: fake, tagSecret: `${SECRET}-rotated` });
    expect(users.filter((u) => a.shardTag!(u) === b.shardTag!(u)).length).toBeLessThanOrEqual(1);
  });
});
