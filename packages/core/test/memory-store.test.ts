/**
 * The memory store's bound: which session goes when it is full. Anonymous sessions cost an
 * attacker nothing to create, so they are capped on their own and evicted first; a signed-in
 * session is never dropped to make room for an anonymous one (issue #13.5).
 */
import { describe, expect, it, vi } from 'vitest';
import {
  createSessionManager,
  isSessionError,
  MemoryStore,
  type MemoryStoreOptions,
  type SessionKey,
  type StoredSession,
} from '../src/index.js';

const NOW = 1_767_225_600_000;
let next = 0;

function key(): SessionKey {
  next++;
  return { id: `k${String(next).padStart(42, '0')}`, tag: '' };
}

function session(userId: string | null, now = NOW): StoredSession {
  return {
    version: 1,
    handle: `h${next}`,
    userId,
    createdAt: now,
    lastSeenAt: now,
    idleTimeoutMs: 30 * 60_000,
    absoluteExpiresAt: now + 8 * 3_600_000,
    authenticatedAt: userId === null ? null : now,
    client: null,
    data: {},
  };
}

function store(options: MemoryStoreOptions) {
  const s = new MemoryStore({ warnInProduction: false, ...options });
  const anonymous = async () => {
    const k = key();
    expect(await s.create(k, session(null), { now: NOW })).toBe(true);
    return k;
  };
  const signIn = async (userId: string, from: SessionKey | null = null) => {
    const k = key();
    const r = await s.rotate({
      now: NOW,
      from: from && { key: from, userId: null },
      to: { key: k, session: session(userId) },
      limit: { max: 5, onLimit: 'evict-oldest' },
    });
    expect(r.status).toBe('ok');
    return k;
  };
  const live = async (k: SessionKey) =>
    (await s.load(k, { now: NOW, touchIntervalMs: 60_000 })).status === 'found';
  return { s, anonymous, signIn, live };
}

describe('MemoryStore eviction', () => {
  it('an anonymous flood never evicts a signed-in session (issue #13.5: 10,050 anonymous POSTs signed everyone out)', async () => {
    const { s, anonymous, signIn, live } = store({ maxEntries: 50 });
    const users = [];
    for (let i = 0; i < 10; i++) users.push(await signIn(`u${i}`, await anonymous()));
    for (let i = 0; i < 10_050; i++) await anonymous();
    for (const k of users) expect(await live(k)).toBe(true);
    expect(s.size).toBeLessThanOrEqual(50);
  });

  it('anonymous sessions are capped at maxAnonymousEntries (default half of maxEntries), least recently used first', async () => {
    const { s, anonymous, live } = store({ maxEntries: 10 });
    const first = await anonymous();
    const second = await anonymous();
    for (let i = 0; i < 3; i++) await anonymous();
    expect(await live(first)).toBe(true); // used: now the most recent
    await anonymous();
    expect(s.size).toBe(5);
    expect(await live(second)).toBe(false);
    expect(await live(first)).toBe(true);
    expect((await s.load(second, { now: NOW, touchIntervalMs: 0 })).status).toBe('missing');
  });

  it('signed-in sessions may fill maxEntries: anonymous ones go first, then the least recently used signed-in one', async () => {
    const { s, anonymous, signIn, live } = store({ maxEntries: 4, maxAnonymousEntries: 2 });
    const anon = [await anonymous(), await anonymous()];
    const a = await signIn('a');
    const b = await signIn('b');
    expect(s.size).toBe(4);
    const c = await signIn('c');
    expect(await live(anon[0]!)).toBe(false);
    expect(await live(anon[1]!)).toBe(true);
    const d = await signIn('d');
    expect(await live(anon[1]!)).toBe(false);
    expect(await live(a)).toBe(true); // a is now more recent than b
    await signIn('e');
    expect(await live(b)).toBe(false);
    for (const k of [a, c, d]) expect(await live(k)).toBe(true);
    expect(s.size).toBe(4);
  });

  it('full of signed-in sessions: a new anonymous session is refused with a clear error and nothing changes', async () => {
    const { s, signIn, live } = store({ maxEntries: 3, maxAnonymousEntries: 1 });
    const users = [await signIn('a'), await signIn('b'), await signIn('c')];
    const refused = key();
    const error = await s.create(refused, session(null), { now: NOW }).catch((e: unknown) => e);
    expect(isSessionError(error, 'store_unavailable')).toBe(true);
    expect((error as Error).message).toMatch(/\[memory\].*3 signed-in sessions.*maxEntries/);
    expect(await live(refused)).toBe(false);
    for (const k of users) expect(await live(k)).toBe(true);
    expect(s.size).toBe(3);
  });

  it('through the manager, that refusal is a store_unavailable SessionError (503), not a crash', async () => {
    const s = new MemoryStore({ maxEntries: 1, warnInProduction: false });
    const manager = createSessionManager({ store: s, logger: false });
    const login = await manager.begin({ method: 'POST', header: () => undefined });
    await login.session.login('alice');
    await login.commit();
    const anon = await manager.begin({ method: 'POST', header: () => undefined });
    anon.session.set('k', 1);
    const error = await anon.commit().catch((e: unknown) => e);
    expect(isSessionError(error, 'store_unavailable')).toBe(true);
    expect(s.size).toBe(1);
  });

  it('a login frees its anonymous slot: logging in on a full store evicts no one else', async () => {
    const { s, anonymous, signIn, live } = store({ maxEntries: 2, maxAnonymousEntries: 1 });
    const a = await signIn('a');
    const anon = await anonymous();
    const b = await signIn('b', anon);
    expect(await live(a)).toBe(true);
    expect(await live(b)).toBe(true);
    expect(s.size).toBe(2);
  });

  it.each([
    [{ maxAnonymousEntries: 0 }],
    [{ maxAnonymousEntries: 1.5 }],
    [{ maxEntries: 10, maxAnonymousEntries: 11 }],
  ])('rejects %j', (options) => {
    expect(() => new MemoryStore(options)).toThrow(/maxAnonymousEntries/);
  });
});

describe('MemoryStore production warning', () => {
  it('goes to the given logger once per process; logger: false says nothing', () => {
    vi.stubEnv('NODE_ENV', 'production');
    try {
      const logger = { warn: vi.fn(), error: vi.fn() };
      new MemoryStore({ logger: false });
      new MemoryStore({ logger });
      new MemoryStore({ logger });
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(logger.warn.mock.calls[0]).toEqual([
        expect.stringMatching(/^\[tessera\] \[memory\] .*NODE_ENV=production/),
      ]);
      expect(logger.error).not.toHaveBeenCalled();
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
