// Round trips counted at the client: one `exec` is one request/response exchange with memcached.
import { createLoginThrottle } from '@tessera/session-core';
import { keyFor, storedSession } from '@tessera/session-testing';
import type { MemcachedServer } from '@tessera/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemcachedStore } from '../src/index.js';
import { CountingClient } from './counting-client.js';
import { noMemcached, startServers, TAG_SECRET } from './helpers.js';

const MIN = 60_000;

describe.skipIf(noMemcached)('round trips', () => {
  let servers: MemcachedServer[];
  let client: CountingClient;
  let store: MemcachedStore;
  beforeAll(async () => {
    servers = await startServers(3);
    client = new CountingClient({ servers: servers.map((s) => s.server) });
    store = new MemcachedStore({ client, tagSecret: TAG_SECRET });
  });
  afterAll(async () => {
    client.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('login throttle: a check is one get per counter, a failure a CAS read-modify-write per counter, a success one delete', async () => {
    const throttle = createLoginThrottle({ store, logger: false });
    const attempt = { account: 'mallory', ip: '192.0.2.8' };
    client.reset();
    await throttle.check(attempt);
    // One round trip per server: the two counters are one exec when they share a server.
    expect(client.trips.flat()).toEqual(['mg', 'mg']);
    expect(client.trips.length).toBeLessThanOrEqual(2);
    client.reset();
    await throttle.record(attempt, false);
    expect(client.trips.flat().sort()).toEqual(['mg', 'mg', 'ms', 'ms']);
    client.reset();
    await throttle.record(attempt, true);
    expect(client.trips).toEqual([['md']]);
  });

  it('loading a valid session inside the touch interval is ONE get and no write', async () => {
    const now = Date.now();
    const key = keyFor(store);
    await store.create(key, storedSession({ now }), { now });
    client.reset();
    for (let i = 1; i <= 5; i++) {
      const r = await store.load(key, { now: now + i * 1000, touchIntervalMs: MIN });
      expect(r.status === 'found' && r.touched).toBe(false);
    }
    expect(client.trips).toEqual(Array.from({ length: 5 }, () => ['mg']));
    expect(client.writes).toBe(0);
  });

  it('a load that is due to touch: the get, then one CAS write', async () => {
    const now = Date.now();
    const key = keyFor(store);
    await store.create(key, storedSession({ now }), { now });
    client.reset();
    const r = await store.load(key, { now: now + 2 * MIN, touchIntervalMs: MIN });
    expect(r.status === 'found' && r.touched).toBe(true);
    expect(client.trips).toEqual([['mg'], ['ms']]);
  });

  it('missing sessions cost one get; create is one write', async () => {
    const now = Date.now();
    const key = keyFor(store);
    client.reset();
    expect((await store.load(key, { now, touchIntervalMs: MIN })).status).toBe('missing');
    expect(await store.create(key, storedSession({ now }), { now })).toBe(true);
    expect(client.trips).toEqual([['mg'], ['ms']]);
  });

  it('an uncontended update is a CAS read-modify-write: two round trips', async () => {
    const now = Date.now();
    const key = keyFor(store);
    await store.create(key, storedSession({ now }), { now });
    client.reset();
    expect(await store.update(key, { set: { a: '1' }, unset: [] }, { now })).toBe('ok');
    expect(client.trips).toEqual([['mg'], ['ms']]);
  });

  it('a login under the cap: two round trips (session write + index read pipelined, then the index CAS)', async () => {
    const now = Date.now();
    const u = `user-rt-${now}`;
    const key = keyFor(store, u);
    client.reset();
    const r = await store.rotate({
      now,
      from: null,
      to: { key, session: storedSession({ userId: u, now }) },
      limit: { max: 5, onLimit: 'evict-oldest' },
    });
    expect(r.status).toBe('ok');
    expect(client.trips).toEqual([['ms', 'mg'], ['ms']]);
    // The user's sessions and index share one server through the shard tag.
    expect(key.tag).toBe(store.shardTag(u));
  });

  it('listing reads the index and the sessions in one batch per server', async () => {
    const now = Date.now();
    const u = `user-list-${now}`;
    for (let i = 0; i < 3; i++) {
      await store.rotate({
        now: now + i,
        from: null,
        to: { key: keyFor(store, u), session: storedSession({ userId: u, now: now + i }) },
        limit: { max: 5, onLimit: 'evict-oldest' },
      });
    }
    client.reset();
    expect(await store.listUserSessions(u, { now: now + 10 })).toHaveLength(3);
    expect(client.trips).toEqual([['mg'], ['mg', 'mg', 'mg']]);
  });
});
