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

  /** A store of its own on the test server, with CALLS sessions made, closed after `fn`. */
  async function withSessions(
    options: { coalesceWrites?: boolean },
    fn: (store: MemcachedStore, keys: SessionKey[], now: number) => Promise<void>,
  ): Promise<void> {
    const store = memcachedStore({ servers: [server.server], ...options });
    try {
      const now = Date.now();
      const keys = Array.from({ length: CALLS }, () => keyFor(store));
      for (const key of keys) await store.create(key, storedSession({ now, handle: handleOf(key) }), { now });
      await fn(store, keys, now);
    } finally {
      await store.close();
    }
  }

  it('loads started together leave in one write; every answer is its own session', async () => {
    await withSessions({}, async (store, keys, now) => {
      const { writes, replies } = await socketWrites(() =>
        keys.map((key) => store.load(key, { now, touchIntervalMs: NEVER })),
      );
      expect(writes).toBe(1);
      for (const [i, reply] of replies.entries()) {
        expect(reply).toMatchObject({ status: 'found' });
        expect((reply as { session: { handle: string } }).session.handle).toBe(handleOf(keys[i]!));
      }
    });
  });

  it('updates started together: their reads in one write, their CAS writes in one per batch of answers', async () => {
    await withSessions({}, async (store, keys, now) => {
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
    });
  });

  it('coalesceWrites: false writes each command at once', async () => {
    await withSessions({ coalesceWrites: false }, async (store, keys, now) => {
      const { writes, replies } = await socketWrites(() =>
        keys.map((key) => store.load(key, { now, touchIntervalMs: NEVER })),
      );
      // Each its own write (a write that finished asynchronously lets the next few batch up).
      expect(writes).toBeGreaterThan(CALLS / 2);
      expect(replies.every((r) => (r as { status: string }).status === 'found')).toBe(true);
    });
  });

  it('refuses a coalesceWrites that is not a boolean', () => {
    expect(() =>
      memcachedStore({ servers: [server.server], coalesceWrites: 'yes' as unknown as boolean }),
    ).toThrow(/coalesceWrites/);
  });
});
