/**
 * Write coalescing: the store's commands of one event-loop turn leave in one socket write per
 * server. Observed at the socket: a corked Node socket hands everything written while corked
 * to one `_writev` when uncorked; uncorked, each write is a `_write` of its own. The spy only
 * counts (and calls through); memcached is a real server.
 */
import { Socket } from 'node:net';
import { handleOf, type SessionKey } from '@tessera/session-core';
import { keyFor, storedSession } from '@tessera/session-testing';
import type { MemcachedServer } from '@tessera/test-support';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type MemcachedStore, memcachedStore } from '../src/index.js';
import { noMemcached, startServers } from './helpers.js';

const NEVER = 365 * 24 * 3_600_000;
const CALLS = 40;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe.skipIf(noMemcached)('memcached store: write coalescing', () => {
  let server: MemcachedServer;
  beforeAll(async () => {
    [server] = (await startServers(1)) as [MemcachedServer];
  });
  afterAll(() => server.stop());

  /** Socket writes that reach the system while `run` goes, on sockets to the test server. */
  async function socketWrites(
    run: () => Promise<unknown>[],
  ): Promise<{ writes: number; replies: unknown[] }> {
    const port = Number(server.server.split(':').pop());
    const mine = (s: Socket) => s.remotePort === port;
    const one = vi.spyOn(Socket.prototype as unknown as { _write: () => void }, '_write');
    const many = vi.spyOn(Socket.prototype as unknown as { _writev: () => void }, '_writev');
    try {
      await nextTurn();
      one.mockClear();
      many.mockClear();
      const replies = await Promise.all(run());
      const writes = [...one.mock.contexts, ...many.mock.contexts].filter((s) => mine(s as Socket)).length;
      return { writes, replies };
    } finally {
      one.mockRestore();
      many.mockRestore();
    }
  }

  async function sessions(store: MemcachedStore, n: number, now: number): Promise<SessionKey[]> {
    const keys = Array.from({ length: n }, () => keyFor(store));
    for (const key of keys) await store.create(key, storedSession({ now, handle: handleOf(key) }), { now });
    return keys;
  }

  it('loads started together leave in one write; every answer is its own session', async () => {
    const store = memcachedStore({ servers: [server.server] });
    try {
      const now = Date.now();
      const keys = await sessions(store, CALLS, now);
      const { writes, replies } = await socketWrites(() =>
        keys.map((key) => store.load(key, { now, touchIntervalMs: NEVER })),
      );
      expect(writes).toBe(1);
      for (const [i, reply] of replies.entries()) {
        expect(reply).toMatchObject({ status: 'found' });
        expect((reply as { session: { handle: string } }).session.handle).toBe(handleOf(keys[i]!));
      }
    } finally {
      await store.close();
    }
  });

  it('updates started together: their reads in one write, their CAS writes in one per batch of answers', async () => {
    const store = memcachedStore({ servers: [server.server] });
    try {
      const now = Date.now();
      const keys = await sessions(store, CALLS, now);
      const { writes, replies } = await socketWrites(() =>
        keys.map((key, i) => store.update(key, { set: { n: String(i) }, unset: [] }, { now })),
      );
      // A CAS update is a read, then a write once its answer is in: all 40 reads leave in one
      // write, the CAS writes in one per turn memcached's answers arrive in (one or a few).
      expect(writes).toBeGreaterThanOrEqual(2);
      expect(writes).toBeLessThanOrEqual(5);
      expect(replies.every((r) => r === 'ok')).toBe(true);
      for (const [i, key] of keys.entries()) {
        const back = await store.load(key, { now, touchIntervalMs: NEVER });
        expect(back.status === 'found' && back.session.data.n).toBe(String(i));
      }
    } finally {
      await store.close();
    }
  });

  it('coalesceWrites: false writes each command at once', async () => {
    const store = memcachedStore({ servers: [server.server], coalesceWrites: false });
    try {
      const now = Date.now();
      const keys = await sessions(store, CALLS, now);
      const { writes, replies } = await socketWrites(() =>
        keys.map((key) => store.load(key, { now, touchIntervalMs: NEVER })),
      );
      // Each its own write (a write that finished asynchronously lets the next few batch up).
      expect(writes).toBeGreaterThan(CALLS / 2);
      expect(replies.every((r) => (r as { status: string }).status === 'found')).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('refuses a coalesceWrites that is not a boolean', () => {
    expect(() =>
      memcachedStore({ servers: [server.server], coalesceWrites: 'yes' as unknown as boolean }),
    ).toThrow(/coalesceWrites/);
  });
});
