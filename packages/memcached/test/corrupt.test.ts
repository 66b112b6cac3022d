// Corrupt items read as `corrupt` (never as data, never as an exception); a corrupt index reads as empty.
import { keyFor, storedSession } from '@tessera/session-testing';
import type { MemcachedServer } from '@tessera/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MemcachedStore, memcachedStore } from '../src/index.js';
import { indexItemKey } from '../src/internal/codec.js';
import { noMemcached, startServers, writeCorrupt } from './helpers.js';

const MIN = 60_000;

describe.skipIf(noMemcached)('corrupt items', () => {
  let servers: MemcachedServer[];
  let store: MemcachedStore;
  beforeAll(async () => {
    servers = await startServers(1);
    store = memcachedStore({ servers: [servers[0]!.server] });
  });
  afterAll(async () => {
    await store.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  const valid = JSON.parse(JSON.stringify(storedSession({ now: Date.now() })));
  const variants: Record<string, string> = {
    'not JSON': '{"version":1,',
    'an array': '[1]',
    'unknown version': JSON.stringify({ ...valid, version: 2 }),
    'a mistyped field': JSON.stringify({ ...valid, lastSeenAt: 'yesterday' }),
    'a data value that is not text': JSON.stringify({ ...valid, data: { a: 1 } }),
    'a bad client': JSON.stringify({ ...valid, client: { ip: 1 } }),
    'stray non-ASCII text': '\xff\xfe',
  };
  for (const [what, text] of Object.entries(variants)) {
    it(`${what} → corrupt, and update answers missing`, async () => {
      const key = keyFor(store);
      await writeCorrupt(store, key, text);
      const r = await store.load(key, { now: Date.now(), touchIntervalMs: 0 });
      expect(r.status).toBe('corrupt');
      expect(await store.update(key, { set: { a: '1' }, unset: [] }, { now: Date.now() })).toBe('missing');
      expect(await store.destroy(key, { now: Date.now(), userId: null })).toBe(true);
    });
  }

  it('a corrupt index item reads as empty and is replaced by the next login', async () => {
    const now = Date.now();
    const u = 'user-corrupt-index';
    const data = Buffer.from('garbage');
    await store.client.exec(0, [{ line: `ms ${indexItemKey('tessera:', u)} ${data.length} T60`, data }]);
    expect(await store.listUserSessions(u, { now })).toEqual([]);
    const key = keyFor(store, u);
    const r = await store.rotate({
      now,
      from: null,
      to: { key, session: storedSession({ userId: u, now }) },
      limit: { max: 5, onLimit: 'reject' },
    });
    expect(r.status).toBe('ok');
    expect((await store.listUserSessions(u, { now })).map((s) => s.key.id)).toEqual([key.id]);
    expect((await store.load(key, { now, touchIntervalMs: MIN })).status).toBe('found');
  });
});
