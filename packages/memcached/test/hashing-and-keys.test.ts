// Consistent hashing and key hygiene: pure checks, plus one look at what lands in memcached.
import { xxh32 } from '@node-rs/xxhash';
import { isSessionError } from '@tessera/session-core';
import { keyFor, randomId, storedSession } from '@tessera/session-testing';
import type { MemcachedServer } from '@tessera/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemcachedMetaClient, memcachedStore } from '../src/index.js';
import { checkKey, indexItemKey, sessionItemKey } from '../src/internal/codec.js';
import { jumpHash, serverFor } from '../src/internal/jump-hash.js';
import { noMemcached, startServers, TAG_SECRET } from './helpers.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return isSessionError(error) ? error.code : 'not a SessionError';
  }
  return undefined;
};

describe('consistent hashing', () => {
  const keys = Array.from({ length: 1000 }, (_, i) => `session-${i}-${randomId()}`);

  it('going from 3 to 4 servers moves about 1/4 of 1,000 keys, all to the new server', () => {
    let moved = 0;
    for (const k of keys) {
      const before = serverFor(k, 3);
      const after = serverFor(k, 4);
      if (before !== after) {
        moved++;
        expect(after).toBe(3);
      }
    }
    // Expected 250; binomial sd ~14, so this band is > 5 sd wide on each side.
    expect(moved).toBeGreaterThan(175);
    expect(moved).toBeLessThan(325);
  });

  it('spreads keys evenly and is deterministic', () => {
    const counts = [0, 0, 0, 0];
    for (const k of keys) counts[serverFor(k, 4)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(180);
    expect(keys.map((k) => serverFor(k, 4))).toEqual(keys.map((k) => serverFor(k, 4)));
    expect(jumpHash(0n, 1)).toBe(0);
  });

  it("routes a user's sessions and index by one tag; anonymous tags are random", () => {
    const store = memcachedStore({
      servers: ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'],
      tagSecret: TAG_SECRET,
    });
    expect(store.shardTag('alice')).toBe(store.shardTag('alice'));
    expect(store.shardTag('alice')).toMatch(/^[0-9a-z]{4}$/);
    const anon = new Set(Array.from({ length: 20 }, () => store.shardTag(null)));
    expect(anon.size).toBeGreaterThan(17);
    for (const t of anon) expect(t).toMatch(/^[0-9a-z]{4}$/);
  });

  it('keyed tags spread users over the servers', () => {
    const store = memcachedStore({
      servers: ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'],
      tagSecret: TAG_SECRET,
    });
    const counts = [0, 0, 0];
    for (let i = 0; i < 900; i++) counts[store.client.serverFor(store.shardTag(`spread-${i}`))]!++;
    // Expected 300 each; binomial sd ~14.
    for (const c of counts) expect(c).toBeGreaterThan(220);
  });
});

describe('routing tags (issue #13: the token tag must not reveal the user)', () => {
  const users = Array.from({ length: 50 }, (_, i) => `user-${i}`);
  const three = ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'];

  it('keyed: never the unkeyed xxh32(userId) base36 of before, and another secret gives other tags', () => {
    const a = memcachedStore({ servers: three, tagSecret: TAG_SECRET });
    const b = memcachedStore({ servers: three, tagSecret: new Uint8Array(32).fill(9) });
    for (const u of users) expect(a.shardTag(u)).not.toBe(xxh32(u).toString(36));
    expect(users.filter((u) => a.shardTag(u) === b.shardTag(u)).length).toBeLessThanOrEqual(1);
  });

  it("one server without tagSecret: no tag at all, '' for users and anonymous sessions", () => {
    const store = memcachedStore({ servers: ['127.0.0.1:1'] });
    for (const u of users) expect(store.shardTag(u)).toBe('');
    expect(store.shardTag(null)).toBe('');
  });

  it('several servers without tagSecret are refused, with or without an own client; a short secret too', () => {
    expect(codeOf(() => memcachedStore({ servers: three }))).toBe('invalid_config');
    expect(codeOf(() => memcachedStore({ client: new MemcachedMetaClient({ servers: three }) }))).toBe(
      'invalid_config',
    );
    expect(codeOf(() => memcachedStore({ servers: three, tagSecret: 'x'.repeat(31) }))).toBe(
      'invalid_config',
    );
    expect(codeOf(() => memcachedStore({ servers: ['127.0.0.1:1'], tagSecret: 'x'.repeat(31) }))).toBe(
      'invalid_config',
    );
  });
});

describe('keys', () => {
  it('accepts printable ASCII under 250 bytes and refuses the rest', () => {
    expect(checkKey('tessera:s:abc-_DEF')).toBe('tessera:s:abc-_DEF');
    expect(codeOf(() => checkKey('x'.repeat(249)))).toBeUndefined();
    for (const bad of [
      'has space',
      'tab\there',
      'nl\n',
      'nul\0',
      'ünïcode',
      'x'.repeat(250),
      '',
      'del\x7f',
    ]) {
      expect(codeOf(() => checkKey(bad))).toBe('invalid_state');
    }
  });

  it('session keys are made of the at-rest id only; index keys hash the user id', () => {
    const id = randomId();
    expect(sessionItemKey('tessera:', id)).toBe(`tessera:s:${id}`);
    const k = indexItemKey('tessera:', 'user with spaces ☃ and a very long name '.repeat(20));
    expect(k).toMatch(/^tessera:u:[A-Za-z0-9_-]{43}$/);
  });

  it('validates options once, at construction', () => {
    expect(codeOf(() => memcachedStore({ keyPrefix: 'has space' }))).toBe('invalid_config');
    expect(codeOf(() => memcachedStore({ keyPrefix: 'x'.repeat(65) }))).toBe('invalid_config');
    expect(codeOf(() => memcachedStore({ casRetries: 0 }))).toBe('invalid_config');
    expect(codeOf(() => memcachedStore({ casRetries: Number.NaN }))).toBe('invalid_config');
    expect(codeOf(() => memcachedStore({ timeoutMs: -1 }))).toBe('invalid_config');
    expect(codeOf(() => memcachedStore({ timeoutMs: Number.NaN }))).toBe('invalid_config');
    expect(codeOf(() => memcachedStore({ servers: [] }))).toBe('invalid_config');
    expect(codeOf(() => memcachedStore({ servers: ['localhost'] }))).toBe('invalid_config');
    expect(codeOf(() => memcachedStore({ servers: ['a:1', 'a:1'] }))).toBe('invalid_config');
    expect(codeOf(() => memcachedStore({ servers: ['a:99999'] }))).toBe('invalid_config');
    expect(codeOf(() => memcachedStore({ maxDataBytes: 0 }))).toBe('invalid_config');
    expect(codeOf(() => memcachedStore({ maxKeys: 1.5 }))).toBe('invalid_config');
    expect(codeOf(() => memcachedStore({ keyPrefix: '' }))).toBeUndefined();
    expect(
      codeOf(() => new MemcachedMetaClient({ servers: ['[::1]:11211', 'cache-1.internal:11211'] })),
    ).toBeUndefined();
  });
});

describe.skipIf(noMemcached)('what memcached holds', () => {
  let servers: MemcachedServer[];
  beforeAll(async () => {
    servers = await startServers(1);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('stores a session under prefix + "s:" + id, with a TTL of its expiry rounded up to whole seconds', async () => {
    const store = memcachedStore({ servers: [servers[0]!.server], keyPrefix: 'app1:' });
    const now = Date.now();
    const key = keyFor(store);
    await store.create(key, storedSession({ now, idleTimeoutMs: 90_500 }), { now });
    const [r] = await store.client.exec(0, [{ line: `mg app1:s:${key.id} t` }]);
    expect(r?.code).toBe('HD');
    const ttl = Number(r?.flags.get('t'));
    expect(ttl).toBeGreaterThanOrEqual(90);
    expect(ttl).toBeLessThanOrEqual(91);
    await store.close();
  });

  it('large values survive being split across TCP reads, and an oversized one fails cleanly', async () => {
    // Data limits far past memcached's 1 MB item size: what is tested here is the transport.
    const store = memcachedStore({ servers: [servers[0]!.server], maxDataBytes: 4_000_000 });
    const now = Date.now();
    const key = keyFor(store);
    const big = 'x'.repeat(300_000);
    await store.create(key, storedSession({ now, data: { big, small: 1 } }), { now });
    const loads = await Promise.all(
      Array.from({ length: 5 }, () => store.load(key, { now, touchIntervalMs: 60_000 })),
    );
    for (const r of loads) expect(r.status === 'found' && r.session.data.big).toBe(JSON.stringify(big));
    // memcached's default item limit is 1 MB: the error reply becomes store_unavailable...
    const huge = keyFor(store);
    await expect(
      store.create(huge, storedSession({ now, data: { huge: 'y'.repeat(2_000_000) } }), { now }),
    ).rejects.toMatchObject({
      code: 'store_unavailable',
    });
    // ...and the next request works on a fresh connection.
    expect((await store.load(key, { now, touchIntervalMs: 60_000 })).status).toBe('found');
    await store.close();
  });
});
