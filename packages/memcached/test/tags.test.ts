import { keyFor, listedIds, loadStatus, signIn, storedSession } from '@tessera/session-testing';
import type { MemcachedServer } from '@tessera/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MemcachedStore, memcachedStore } from '../src/index.js';
import { noMemcached, startServers, TAG_SECRET } from './helpers.js';

const _MIN = 60_000;
const limit = { max: 5, onLimit: 'evict-oldest' } as const;

describe.skipIf(noMemcached)('memcached: routing tags', () => {
  let servers: MemcachedServer[];
  const stores: MemcachedStore[] = [];
  const open = (options: Parameters<typeof memcachedStore>[0]) => {
    const store = memcachedStore(options);
    stores.push(store);
    return store;
  };
  beforeAll(async () => {
    servers = await startServers(3);
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  it("several servers: a user's sessions sit on the index's server, found by the keyed tag", async () => {
    const store = open({ servers: servers.map((s) => s.server), tagSecret: TAG_SECRET });
    const u = 'keyed-user';
    const keys = [await signIn(store, u), await signIn(store, u)];
    for (const key of keys) {
      expect(key.tag).toBe(store.shardTag(u));
      expect(store.client.serverFor(key.tag)).toBe(store.client.serverFor(store.shardTag(u)));
      expect(await loadStatus(store, key)).toBe('found');
    }
    expect((await listedIds(store, u)).sort()).toEqual(keys.map((k) => k.id).sort());
    expect(await store.revokeUserSessions(u, { now: Date.now() })).toBe(2);
    for (const key of keys) expect(await loadStatus(store, key)).toBe('missing');
  });

  it('a changed tagSecret leaves no session usable that its index does not list', async () => {
    const list = servers.map((s) => s.server);
    const a = open({ servers: list, tagSecret: TAG_SECRET });
    const b = open({ servers: list, tagSecret: `${TAG_SECRET}-rotated` });
    // A user whose tag moves to another server with the new secret, so the index moves too.
    let u = '';
    for (let i = 0; i < 100 && !u; i++) {
      const candidate = `moving-${i}`;
      if (a.client.serverFor(a.shardTag(candidate)) !== b.client.serverFor(b.shardTag(candidate)))
        u = candidate;
    }
    expect(u).not.toBe('');
    const underA = await signIn(a, u);
    const underB = await signIn(b, u);
    expect(await loadStatus(a, underA)).toBe('found');
    expect(await loadStatus(b, underA)).toBe('missing');
    expect(await listedIds(b, u)).toEqual([underB.id]);
    expect(await loadStatus(a, underB)).toBe('missing');
    expect(await listedIds(a, u)).toEqual([underA.id]);
    // Anonymous sessions have no index: any well-formed tag stays theirs.
    const anon = keyFor(a);
    expect(await a.create(anon, storedSession(), { now: Date.now() })).toBe(true);
    expect(await loadStatus(b, anon)).toBe('found');
  });

  it('one server without tagSecret: untagged tokens; login, list, logout and revoke all work', async () => {
    const store = open({ servers: [servers[0]!.server] });
    const u = 'untagged-user';
    const [a, b] = [await signIn(store, u), await signIn(store, u)];
    expect(a.tag).toBe('');
    expect((await listedIds(store, u)).sort()).toEqual([a.id, b.id].sort());
    expect(await store.destroy(a, { now: Date.now(), userId: u })).toBe(true);
    expect(await store.revokeUserSessions(u, { now: Date.now() })).toBe(1);
    expect(await loadStatus(store, b)).toBe('missing');
  });

  it("refuses a user's session under another tag than the user's (it would be unusable)", async () => {
    const store = open({ servers: servers.map((s) => s.server), tagSecret: TAG_SECRET });
    const now = Date.now();
    const wrong = { id: keyFor(store).id, tag: store.shardTag('someone-else') };
    await expect(
      store.rotate({
        now,
        from: null,
        to: { key: wrong, session: storedSession({ userId: 'me', now }) },
        limit,
      }),
    ).rejects.toMatchObject({ code: 'invalid_state' });
  });
});
