// Store down: bounded time, typed error, recovery without a restart; one of three servers
// down affects only the sessions on it. Uses throwaway servers it can kill.
import { createServer, type Server, type Socket } from 'node:net';
import { isSessionError, type SessionKey } from '@tessera/session-core';
import { keyFor, rejectionOf, storedSession } from '@tessera/session-testing';
import { freePort, type MemcachedServer } from '@tessera/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MemcachedStore, memcachedStore } from '../src/index.js';
import { externalServers, noMemcached, startServers, TAG_SECRET } from './helpers.js';

const MIN = 60_000;

describe('a server that accepts but never answers', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    silent = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('fails within the bounded timeout with store_unavailable', async () => {
    const store = memcachedStore({ servers: [`127.0.0.1:${port}`], timeoutMs: 200 });
    const t0 = Date.now();
    const error = await rejectionOf(store.load(keyFor(store), { now: t0, touchIntervalMs: MIN }));
    const elapsed = Date.now() - t0;
    expect(isSessionError(error, 'store_unavailable')).toBe(true);
    expect((error as Error).message).toMatch(/^\[tessera\] \[memcached\]/);
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(2000);
    await store.close();
  });
});

describe.skipIf(noMemcached || externalServers)('memcached going away and coming back', () => {
  let servers: MemcachedServer[];
  let store: MemcachedStore;
  beforeAll(async () => {
    servers = await startServers(3);
    store = memcachedStore({ servers: servers.map((s) => s.server), timeoutMs: 300, tagSecret: TAG_SECRET });
  });
  afterAll(async () => {
    await store.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  const live = async (key: SessionKey) =>
    (await store.load(key, { now: Date.now(), touchIntervalMs: MIN })).status === 'found';

  it('one of three servers down fails only the sessions on it, and they recover without a restart', async () => {
    const now = Date.now();
    const keys = Array.from({ length: 30 }, () => keyFor(store));
    for (const key of keys) await store.create(key, storedSession({ now }), { now });
    const victim = 1;
    const onVictim = keys.filter((k) => store.client.serverFor(k.tag || k.id) === victim);
    const elsewhere = keys.filter((k) => store.client.serverFor(k.tag || k.id) !== victim);
    expect(onVictim.length).toBeGreaterThan(0);
    expect(elsewhere.length).toBeGreaterThan(0);

    await servers[victim]!.stop();
    for (const key of elsewhere) expect(await live(key)).toBe(true);
    for (const key of onVictim) {
      const error = await rejectionOf(live(key));
      expect(isSessionError(error, 'store_unavailable')).toBe(true);
    }
    // Writes to the down server fail the same way; they never land on another server.
    const fresh = keys.find((k) => store.client.serverFor(k.tag || k.id) === victim)!;
    expect(
      isSessionError(
        await rejectionOf(store.update(fresh, { set: { a: '1' }, unset: [] }, { now })),
        'store_unavailable',
      ),
    ).toBe(true);

    await servers[victim]!.start();
    // memcached keeps nothing across a restart: those sessions are gone, but the server is used again.
    for (const key of onVictim) expect(await live(key)).toBe(false);
    const again = onVictim[0]!;
    expect(await store.create(again, storedSession({ now: Date.now() }), { now: Date.now() })).toBe(true);
    expect(await live(again)).toBe(true);
    for (const key of elsewhere) expect(await live(key)).toBe(true);
  });

  it('every operation answers store_unavailable while the only server is down', async () => {
    const single = memcachedStore({ servers: [servers[0]!.server], timeoutMs: 300 });
    const now = Date.now();
    const key = keyFor(single, 'u1');
    await servers[0]!.stop();
    const ops: Promise<unknown>[] = [
      single.load(key, { now, touchIntervalMs: MIN }),
      single.create(key, storedSession({ now }), { now }),
      single.update(key, { set: {}, unset: [] }, { now }),
      single.destroy(key, { now, userId: 'u1' }),
      single.rotate({
        now,
        from: null,
        to: { key, session: storedSession({ userId: 'u1', now }) },
        limit: { max: 5, onLimit: 'reject' },
      }),
      single.listUserSessions('u1', { now }),
      single.revokeUserSessions('u1', { now }),
    ];
    for (const op of ops) expect(isSessionError(await rejectionOf(op), 'store_unavailable')).toBe(true);
    await servers[0]!.start();
    expect(await single.create(key, storedSession({ now }), { now })).toBe(true);
    await single.close();
  });
});
