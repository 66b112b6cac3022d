/**
 * Issue #13 item 6: revoke one, revoke all, evict-oldest and logout delete the sessions BEFORE they
 * rewrite the index, so a failure between the two steps never leaves a live session that
 * nothing lists (the device list and the next revoke-all would miss it). The failure is
 * injected at the client, on one server, between the steps; the other order is harmless:
 * index entries of deleted sessions are pruned by the next read.
 */
import type { SessionKey } from '@tessera/session-core';
import { keyFor, storedSession } from '@tessera/session-testing';
import type { MemcachedServer } from '@tessera/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemcachedStore } from '../src/index.js';
import { FailingClient } from './failing-client.js';
import { noMemcached, startServers } from './helpers.js';

const MIN = 60_000;
const sessionDelete = (line: string) => line.startsWith('md tessera:s:');
const indexWrite = (line: string) => line.startsWith('ms tessera:u:') || line.startsWith('md tessera:u:');

describe.skipIf(noMemcached)('memcached: sessions go before their index entries', () => {
  let servers: MemcachedServer[];
  let client: FailingClient;
  let store: MemcachedStore;
  let n = 0;
  beforeAll(async () => {
    servers = await startServers(1);
    client = new FailingClient({ servers: servers.map((s) => s.server) });
    store = new MemcachedStore({ client });
  });
  afterAll(async () => {
    client.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  async function userWith(count: number, max = 5): Promise<{ userId: string; keys: SessionKey[] }> {
    const userId = `order-${++n}-${Date.now()}`;
    const keys: SessionKey[] = [];
    for (let i = 0; i < count; i++) {
      const key = keyFor(store, userId);
      const now = Date.now() + i;
      const r = await store.rotate({
        now,
        from: null,
        to: { key, session: storedSession({ userId, now }) },
        limit: { max, onLimit: 'evict-oldest' },
      });
      expect(r.status).toBe('ok');
      keys.push(key);
    }
    return { userId, keys };
  }

  /** Every one of `keys` that still loads is in the user's list. */
  async function noLiveSessionUnlisted(userId: string, keys: readonly SessionKey[]): Promise<number> {
    client.failOn = undefined;
    const now = Date.now() + 10;
    const listed = new Set((await store.listUserSessions(userId, { now })).map((s) => s.key.id));
    let live = 0;
    for (const key of keys) {
      if ((await store.load(key, { now, touchIntervalMs: MIN })).status !== 'found') continue;
      live++;
      expect(listed.has(key.id), `live session ${key.id.slice(0, 8)} is not listed`).toBe(true);
    }
    return live;
  }

  for (const [step, failOn] of [
    ['deleting the sessions', sessionDelete],
    ['rewriting the index', indexWrite],
  ] as const) {
    it(`revoke all: a failure while ${step} leaves no live session unlisted`, async () => {
      const { userId, keys } = await userWith(3);
      client.failOn = failOn;
      await expect(store.revokeUserSessions(userId, { now: Date.now() + 10 })).rejects.toMatchObject({
        code: 'store_unavailable',
      });
      await noLiveSessionUnlisted(userId, keys);
      // And once the server answers again, revoke-all ends every one of them.
      await store.revokeUserSessions(userId, { now: Date.now() + 10 });
      expect(await noLiveSessionUnlisted(userId, keys)).toBe(0);
    });

    it(`revoke one: a failure while ${step} leaves no live session unlisted`, async () => {
      const { userId, keys } = await userWith(2);
      const [first] = await store.listUserSessions(userId, { now: Date.now() + 10 });
      client.failOn = failOn;
      await expect(
        store.revokeUserSessions(userId, { now: Date.now() + 10, only: first!.handle }),
      ).rejects.toMatchObject({
        code: 'store_unavailable',
      });
      await noLiveSessionUnlisted(userId, keys);
    });

    it(`logout (destroy): a failure while ${step} leaves no live session unlisted`, async () => {
      const { userId, keys } = await userWith(2);
      client.failOn = failOn;
      await expect(store.destroy(keys[0]!, { now: Date.now() + 10, userId })).rejects.toMatchObject({
        code: 'store_unavailable',
      });
      // Let any step still in flight after the rejection land before looking.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await noLiveSessionUnlisted(userId, keys);
    });

    it(`evict-oldest: a failure while ${step} leaves no live session unlisted`, async () => {
      const { userId, keys } = await userWith(2, 2);
      const oldest = keys[0]!;
      // Only the victim's delete (or the index write) fails: the new session's clean-up still runs.
      client.failOn = failOn === sessionDelete ? (line) => line === `md tessera:s:${oldest.id}` : indexWrite;
      const key = keyFor(store, userId);
      const now = Date.now() + 5;
      await expect(
        store.rotate({
          now,
          from: null,
          to: { key, session: storedSession({ userId, now }) },
          limit: { max: 2, onLimit: 'evict-oldest' },
        }),
      ).rejects.toMatchObject({ code: 'store_unavailable' });
      // The failed login's own session never had its token sent; only the earlier ones matter.
      await noLiveSessionUnlisted(userId, keys);
    });
  }
});
