/**
 * Routing tags on real servers (issue #13 item 4: the token's tag must not reveal the user).
 * Several servers: the keyed tag puts a user's sessions next to the user's index, and a
 * session minted under another secret is unusable rather than alive on a server whose index
 * does not list it. One server without a secret: no tag, everything still works.
 */
import type { SessionKey, SessionStore } from '@tessera/session-core';
import { keyFor, storedSession } from '@tessera/session-testing';
import type { MemcachedServer } from '@tessera/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MemcachedStore, memcachedStore } from '../src/index.js';
import { noMemcached, startServers, TAG_SECRET } from './helpers.js';

const MIN = 60_000;
const limit = { max: 5, onLimit: 'evict-oldest' } as const;

async function login(store: SessionStore, userId: string): Promise<SessionKey> {
  const key = keyFor(store, userId);
  const now = Date.now();
  const r = await store.rotate({
    now,
    from: null,
    to: { key, session: storedSession({ userId, now }) },
    limit,
  });
  expect(r.status).toBe('ok');
  return key;
}
const status = async (store: SessionStore, key: SessionKey) =>
  (await store.load(key, { now: Date.now(), touchIntervalMs: MIN })).status;
const listed = async (store: SessionStore, userId: string) =>
  (await store.listUserSessions(userId, { now: Date.now() })).map((s) => s.key.id);

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
    const keys = [await login(store, u), await login(store, u)];
    for (const key of keys) {
      expect(key.tag).toBe(store.shardTag(u));
      expect(store.client.serverFor(key.tag)).toBe(store.client.serverFor(store.shardTag(u)));
      expect(await status(store, key)).toBe('found');
    }
    expect((await listed(store, u)).sort()).toEqual(keys.map((k) => k.id).sort());
    expect(await store.revokeUserSessions(u, { now: Date.now() })).toBe(2);
    for (const key of keys) expect(await status(store, key)).toBe('missing');
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
    const underA = await login(a, u);
    const underB = await login(b, u);
    expect(await status(a, underA)).toBe('found');
    expect(await status(b, underA)).toBe('missing');
    expect(await listed(b, u)).toEqual([underB.id]);
    expect(await status(a, underB)).toBe('missing');
    expect(await listed(a, u)).toEqual([underA.id]);
    // Anonymous sessions have no index: any well-formed tag stays theirs.
    const anon = keyFor(a);
    expect(await a.create(anon, storedSession(), { now: Date.now() })).toBe(true);
    expect(await status(b, anon)).toBe('found');
  });

  it('one server without tagSecret: untagged tokens; login, list, logout and revoke all work', async () => {
    const store = open({ servers: [servers[0]!.server] });
    const u = 'untagged-user';
    const [a, b] = [await login(store, u), await login(store, u)];
    expect(a.tag).toBe('');
    expect((await listed(store, u)).sort()).toEqual([a.id, b.id].sort());
    expect(await store.destroy(a, { now: Date.now(), userId: u })).toBe(true);
    expect(await store.revokeUserSessions(u, { now: Date.now() })).toBe(1);
    expect(await status(store, b)).toBe('missing');
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
