/**
 * Write coalescing (ioredis): the store's commands of one event-loop turn leave in one socket
 * write, so Redis reads them in one go. Observed on a throwaway server through Redis' own
 * counter of read events (`total_reads_processed`), with the same connection and the same
 * calls, coalescing on (the default) and off.
 */
import { handleOf, type SessionKey, type SessionStore } from '@tessera/session-core';
import { keyFor, storedSession } from '@tessera/session-testing';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { redisStore } from '../src/index.js';
import { noRedis } from './helpers.js';
import { useThrowawayStore } from './throwaway.js';

const NEVER = 365 * 24 * 3_600_000;
const CALLS = 40;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe.skipIf(noRedis)('redis store on ioredis: write coalescing', () => {
  const t = useThrowawayStore('ioredis');
  const socketOf = () => (t.redis.client as Redis).stream;

  async function readsProcessed(): Promise<number> {
    const info = String(await t.redis.cmd('INFO', 'stats'));
    const m = /total_reads_processed:(\d+)/.exec(info);
    if (!m) throw new Error('INFO stats has no total_reads_processed');
    return Number(m[1]);
  }

  async function sessions(store: SessionStore, n: number, now: number): Promise<SessionKey[]> {
    const keys = Array.from({ length: n }, () => keyFor(store));
    for (const key of keys) await store.create(key, storedSession({ now, handle: handleOf(key) }), { now });
    return keys;
  }

  /** Redis read events while `calls` run, all started in one turn (the INFO around them excluded). */
  async function readEvents(run: () => Promise<unknown>[]): Promise<{ events: number; replies: unknown[] }> {
    await nextTurn();
    const before = await readsProcessed();
    await nextTurn();
    const replies = await Promise.all(run());
    await nextTurn();
    const after = await readsProcessed();
    // The INFO after is one read event of its own.
    return { events: after - before - 1, replies };
  }

  it('loads started together reach Redis in one read; every answer is its own session', async () => {
    const now = Date.now();
    const keys = await sessions(t.store, CALLS, now);
    const { events, replies } = await readEvents(() =>
      keys.map((key) => t.store.load(key, { now, touchIntervalMs: NEVER })),
    );
    expect(events).toBe(1);
    for (const [i, reply] of replies.entries()) {
      expect(reply).toMatchObject({ status: 'found' });
      expect((reply as { session: { handle: string } }).session.handle).toBe(handleOf(keys[i]!));
    }
  });

  it('updates (scripts) started together too, each applied to its own session', async () => {
    const now = Date.now();
    const keys = await sessions(t.store, CALLS, now);
    // Once first, so the server has the script cached (a first EVALSHA costs a second trip).
    await t.store.update(keys[0]!, { set: { n: '0' }, unset: [] }, { now });
    const { events, replies } = await readEvents(() =>
      keys.map((key, i) => t.store.update(key, { set: { n: String(i) }, unset: [] }, { now })),
    );
    expect(events).toBe(1);
    expect(replies.every((r) => r === 'ok')).toBe(true);
    for (const [i, key] of keys.entries()) {
      const back = await t.store.load(key, { now, touchIntervalMs: NEVER });
      expect(back.status === 'found' && back.session.data.n).toBe(String(i));
    }
  });

  it('the socket is corked only until the end of the turn, and commands of the next turn still go', async () => {
    const now = Date.now();
    const [key] = await sessions(t.store, 1, now);
    await nextTurn();
    const socket = socketOf();
    expect(socket.writableCorked).toBe(0);
    const pending = t.store.load(key!, { now, touchIntervalMs: NEVER });
    expect(socket.writableCorked).toBe(1);
    await nextTurn();
    expect(socket.writableCorked).toBe(0);
    expect((await pending).status).toBe('found');
    // The client's own commands in a later turn are untouched by the store.
    expect(await t.redis.cmd('PING')).toBe('PONG');
  });

  it('coalesceWrites: false leaves every command to its own write', async () => {
    const store = redisStore({ client: t.redis.client, coalesceWrites: false });
    const now = Date.now();
    const keys = await sessions(store, CALLS, now);
    await nextTurn();
    const pending = keys.map((key) => store.load(key, { now, touchIntervalMs: NEVER }));
    expect(socketOf().writableCorked).toBe(0);
    const replies = await Promise.all(pending);
    expect(replies.every((r) => r.status === 'found')).toBe(true);
  });

  it('refuses a coalesceWrites that is not a boolean', () => {
    expect(() => redisStore({ client: t.redis.client, coalesceWrites: 'yes' as unknown as boolean })).toThrow(
      /coalesceWrites/,
    );
  });
});
