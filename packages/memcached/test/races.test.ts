// Races beyond the conformance kit: CAS paths under contention, on three real servers.
import { keyFor, storedSession } from '@tessera/session-testing';
import type { MemcachedServer } from '@tessera/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MemcachedStore, memcachedStore } from '../src/index.js';
import { noMemcached, startServers, TAG_SECRET } from './helpers.js';

const MIN = 60_000;

describe.skipIf(noMemcached)('races', () => {
  let servers: MemcachedServer[];
  let store: MemcachedStore;
  beforeAll(async () => {
    servers = await startServers(3);
    store = memcachedStore({ servers: servers.map((s) => s.server), tagSecret: TAG_SECRET });
  });
  afterAll(async () => {
    await store.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('touches racing updates never drop an update', async () => {
    const now = Date.now();
    const key = keyFor(store);
    await store.create(key, storedSession({ now }), { now });
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2
          ? store.update(key, { set: { [`k${i}`]: String(i) }, unset: [] }, { now })
          : store.load(key, { now: now + i, touchIntervalMs: 0 }),
      ),
    );
    const r = await store.load(key, { now, touchIntervalMs: MIN });
    expect(r.status).toBe('found');
    if (r.status !== 'found') return;
    for (let i = 1; i < 40; i += 2) expect(r.session.data[`k${i}`]).toBe(String(i));
  });

  it('updates racing a destroy: once destroyed, nothing brings it back', async () => {
    const now = Date.now();
    const key = keyFor(store, 'racer');
    await store.rotate({
      now,
      from: null,
      to: { key, session: storedSession({ userId: 'racer', now }) },
      limit: null,
    });
    const updates = Array.from({ length: 50 }, (_, i) =>
      store.update(key, { set: { [`k${i}`]: '1' }, unset: [] }, { now }),
    );
    const destroyed = store.destroy(key, { now, userId: 'racer' });
    const results = await Promise.all(updates);
    expect(await destroyed).toBe(true);
    expect(results.every((r) => r === 'ok' || r === 'missing')).toBe(true);
    expect((await store.load(key, { now, touchIntervalMs: MIN })).status).toBe('missing');
    expect(await store.update(key, { set: { late: '1' }, unset: [] }, { now })).toBe('missing');
  });

  it('a rotation whose old session is being updated still consumes it exactly once', async () => {
    const now = Date.now();
    const u = `user-rot-${now}`;
    const from = keyFor(store, u);
    await store.rotate({
      now,
      from: null,
      to: { key: from, session: storedSession({ userId: u, now }) },
      limit: { max: 5, onLimit: 'evict-oldest' },
    });
    const to = keyFor(store, u);
    const [rotated] = await Promise.all([
      store.rotate({
        now,
        from: { key: from, userId: u },
        to: { key: to, session: storedSession({ userId: u, now }) },
        limit: { max: 5, onLimit: 'evict-oldest' },
      }),
      ...Array.from({ length: 10 }, (_, i) =>
        store.update(from, { set: { [`k${i}`]: '1' }, unset: [] }, { now }),
      ),
    ]);
    expect(rotated.status).toBe('ok');
    expect((await store.load(from, { now, touchIntervalMs: MIN })).status).toBe('missing');
    expect((await store.listUserSessions(u, { now })).map((s) => s.key.id)).toEqual([to.id]);
  });

  it('10 anonymous sessions logging in at once under a reject cap of 5: 5 in, 5 refused and untouched', async () => {
    const now = Date.now();
    const u = `user-rej-${now}`;
    const anons = Array.from({ length: 10 }, () => keyFor(store));
    for (const a of anons) await store.create(a, storedSession({ now }), { now });
    const results = await Promise.all(
      anons.map((a) =>
        store.rotate({
          now,
          from: { key: a, userId: null },
          to: { key: keyFor(store, u), session: storedSession({ userId: u, now }) },
          limit: { max: 5, onLimit: 'reject' },
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'ok')).toHaveLength(5);
    expect(results.filter((r) => r.status === 'limit')).toHaveLength(5);
    const anonLive = await Promise.all(
      anons.map(async (a) => (await store.load(a, { now, touchIntervalMs: MIN })).status),
    );
    expect(anonLive).toEqual(results.map((r) => (r.status === 'ok' ? 'missing' : 'found')));
    expect(await store.listUserSessions(u, { now })).toHaveLength(5);
  });
});
