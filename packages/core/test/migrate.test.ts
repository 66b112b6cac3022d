/** migrateFrom: expressSession(...) in the core, on the memory store and an in-memory old store. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { instrumentStore } from '../../testing/src/instrumented-store.js';
import { expressSessionCookie, memoryMigrationSource } from '../../testing/src/migration-fixtures.js';
import {
  connectStore,
  createSessionManager,
  type ExpressSessionMigrationOptions,
  expressSession,
  ManualClock,
  MemoryStore,
  type ResponseHeaders,
  type SessionEvent,
  type SessionManagerOptions,
} from '../src/index.js';

const MIN = 60_000;
const SECRET = 'the express-session secret';
const OLD_SID = 'zcB6kEdwCl5oHZ3Q2mDdbfh2lcAEb9Uz';

function request(cookie?: string) {
  const h: Record<string, string> = { 'user-agent': 'test' };
  if (cookie !== undefined) h.cookie = cookie;
  return {
    method: 'GET',
    header: (name: string) => h[name],
    ip: '203.0.113.9',
    selfOrigin: 'https://app.test',
  };
}

const cookieLines = (headers: ResponseHeaders) =>
  headers.filter(([k]) => k === 'set-cookie').map(([, v]) => v);
const tesseraPair = (headers: ResponseHeaders) =>
  cookieLines(headers)
    .find((l) => l.startsWith('__Host-sid='))
    ?.split(';')[0];

function setup(
  migration: Partial<ExpressSessionMigrationOptions> = {},
  options: Partial<SessionManagerOptions> = {},
) {
  const clock = new ManualClock(1_800_000_000_000);
  const source = memoryMigrationSource();
  const store = instrumentStore(new MemoryStore({ warnInProduction: false }));
  const events: SessionEvent[] = [];
  const errors: string[] = [];
  const migrateFrom = expressSession({ secrets: SECRET, source, ...migration });
  const manager = createSessionManager({
    store,
    clock,
    migrateFrom,
    onEvent: (e) => events.push(e),
    logger: { warn: () => undefined, error: (m: unknown) => void errors.push(String(m)) },
    ...options,
  });
  /** An old session as express-session + connect-redis would have saved it. */
  const oldSession = (
    sid: string,
    data: Record<string, unknown>,
    maxAgeMs: number | null = 24 * 60 * MIN,
  ) => {
    const now = clock.now();
    source.records.set(sid, {
      value: {
        cookie: {
          originalMaxAge: maxAgeMs,
          expires: maxAgeMs === null ? null : new Date(now + maxAgeMs).toISOString(),
          httpOnly: true,
          path: '/',
        },
        ...data,
      },
      expiresAt: now + (maxAgeMs ?? 24 * 60 * MIN),
    });
  };
  const migrated = () => events.filter((e) => e.type === 'migrated');
  return { clock, source, store, events, errors, migrateFrom, manager, oldSession, migrated };
}

const OLD_COOKIE = `connect.sid=${expressSessionCookie(OLD_SID, SECRET)}`;
const CLEAR_OLD =
  'connect.sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax';

describe('migrateFrom: expressSession()', () => {
  it('signs the old user in once: new cookie set, old cookie cleared, old record gone, event counted', async () => {
    const { manager, source, store, oldSession, migrated, migrateFrom } = setup();
    oldSession(OLD_SID, { userId: 'alice', counter: 3 });
    store.reset();
    const rs = await manager.begin(request(`${OLD_COOKIE}; other=1`));
    expect(rs.session.userId).toBe('alice');
    expect(rs.session.keys()).toEqual([]); // the default migrate carries nothing but the user
    const headers = await rs.commit();
    expect(cookieLines(headers)).toContain(CLEAR_OLD);
    expect(tesseraPair(headers)).toMatch(/^__Host-sid=/);
    expect(store.counts.rotate).toBe(1);
    expect(store.total()).toBe(1);
    expect(source.calls.take).toBe(1);
    expect(source.records.size).toBe(0);
    expect(migrated()).toEqual([
      expect.objectContaining({ outcome: 'ok', userId: 'alice', handle: rs.session.handle }),
    ]);
    expect(migrateFrom.counts.ok).toBe(1);
    const next = await manager.begin(request(tesseraPair(headers)));
    expect(next.session.userId).toBe('alice');
  });

  it('maps data with migrate(), checked as set() checks it, in the one rotate', async () => {
    const { manager, store, oldSession } = setup({
      migrate: (old) => ({ userId: old.user as string, data: { counter: old.counter, cart: ['a'] } }),
    });
    oldSession(OLD_SID, { user: 'bob', counter: 7 });
    store.reset();
    const rs = await manager.begin(request(OLD_COOKIE));
    expect(rs.session.toJSON()).toEqual({ counter: 7, cart: ['a'] });
    await rs.commit();
    expect(store.counts.rotate).toBe(1);
    expect(store.counts.update).toBe(0);
  });

  it('a forged cookie, or one signed with another secret, costs no store call and is left alone', async () => {
    const { manager, source, store, oldSession, migrated, migrateFrom } = setup();
    oldSession(OLD_SID, { userId: 'alice' });
    const forged = [
      `connect.sid=${expressSessionCookie(OLD_SID, 'not the secret')}`,
      `connect.sid=s%3A${OLD_SID}.AAAA`,
      `connect.sid=${OLD_SID}`,
      `connect.sid=${expressSessionCookie(OLD_SID, SECRET).replace('s%3A', 's%3Ax')}`,
      'connect.sid=%E0%A4%A',
    ];
    store.reset();
    for (const cookie of forged) {
      const rs = await manager.begin(request(cookie));
      expect(rs.session.authenticated).toBe(false);
      expect(await rs.commit()).toEqual([]);
    }
    expect(source.calls.take).toBe(0);
    expect(store.total()).toBe(0);
    expect(source.records.size).toBe(1);
    expect(migrated().map((e) => e.type === 'migrated' && e.outcome)).toEqual(forged.map(() => 'forged'));
    expect(migrateFrom.counts.forged).toBe(forged.length);
  });

  it('verifies with every secret: a cookie signed with the previous one (second) still migrates', async () => {
    const { manager, oldSession } = setup({ secrets: ['the new secret', SECRET] });
    oldSession(OLD_SID, { userId: 'carol' });
    const rs = await manager.begin(request(OLD_COOKIE));
    expect(rs.session.userId).toBe('carol');
  });

  it('checks the signature exactly as cookie-signature makes it (node:crypto, random sids)', () => {
    const { migrateFrom } = setup();
    for (let i = 0; i < 200; i++) {
      const sid = createHmac('sha256', String(i))
        .digest('base64url')
        .slice(0, 5 + (i % 28));
      expect(migrateFrom.verify(expressSessionCookie(sid, SECRET))).toBe(sid);
      expect(migrateFrom.verify(expressSessionCookie(sid, `${SECRET}x`))).toBeNull();
    }
  });

  it('a replayed old cookie finds nothing: anonymous, the old cookie cleared again', async () => {
    const { manager, oldSession, migrated } = setup();
    oldSession(OLD_SID, { userId: 'alice' });
    await (await manager.begin(request(OLD_COOKIE))).commit();
    const replay = await manager.begin(request(OLD_COOKIE));
    expect(replay.session.authenticated).toBe(false);
    expect(cookieLines(await replay.commit())).toEqual([CLEAR_OLD]);
    expect(migrated().map((e) => e.type === 'migrated' && e.outcome)).toEqual(['ok', 'missing']);
  });

  it('parallel first requests with one old cookie make one session, which they share', async () => {
    const { manager, source, store, oldSession, migrated } = setup();
    oldSession(OLD_SID, { userId: 'dave' });
    source.delayMs = 30;
    store.reset();
    const all = await Promise.all([1, 2, 3, 4].map(() => manager.begin(request(OLD_COOKIE))));
    expect(new Set(all.map((rs) => rs.session.handle)).size).toBe(1);
    expect(all.every((rs) => rs.session.userId === 'dave')).toBe(true);
    const cookies = await Promise.all(all.map(async (rs) => tesseraPair(await rs.commit())));
    expect(new Set(cookies).size).toBe(1);
    expect(source.calls.take).toBe(1);
    expect(store.counts.rotate).toBe(1);
    expect(await manager.listSessions('dave')).toHaveLength(1);
    expect(migrated().map((e) => e.type === 'migrated' && e.outcome)).toEqual([
      'ok',
      'joined',
      'joined',
      'joined',
    ]);
  });

  it('an expired old session migrates nothing; the old cookie is cleared', async () => {
    const { manager, clock, source, oldSession, migrated } = setup();
    oldSession(OLD_SID, { userId: 'erin' }, 10 * MIN);
    clock.advance(10 * MIN);
    const rs = await manager.begin(request(OLD_COOKIE));
    expect(rs.session.authenticated).toBe(false);
    expect(cookieLines(await rs.commit())).toEqual([CLEAR_OLD]);
    // The source's own expiry alone also counts (a store that kept the record past it).
    source.records.set('other', {
      value: { userId: 'erin', cookie: { expires: null } },
      expiresAt: clock.now(),
    });
    const other = await manager.begin(request(`connect.sid=${expressSessionCookie('other', SECRET)}`));
    expect(other.session.authenticated).toBe(false);
    expect(migrated().map((e) => e.type === 'migrated' && e.outcome)).toEqual(['expired', 'expired']);
  });

  it('the new absolute deadline is now + min(absoluteTimeoutMs, the old cookie maxAge)', async () => {
    const { manager, clock, oldSession } = setup({}, { absoluteTimeoutMs: 60 * MIN });
    oldSession('short', { userId: 'u1' }, 20 * MIN);
    oldSession('long', { userId: 'u2' }, 30 * 24 * 60 * MIN);
    oldSession('browser', { userId: 'u3' }, null);
    const at = clock.now();
    const deadline = async (sid: string) =>
      (await manager.begin(request(`connect.sid=${expressSessionCookie(sid, SECRET)}`))).session
        .absoluteExpiresAt;
    expect(await deadline('short')).toBe(at + 20 * MIN);
    expect(await deadline('long')).toBe(at + 60 * MIN);
    expect(await deadline('browser')).toBe(at + 60 * MIN);
  });

  it("at the cap with onLimit 'reject': anonymous, the old record put back, the old cookie kept", async () => {
    const { manager, source, oldSession, migrated } = setup({}, { maxSessionsPerUser: 1, onLimit: 'reject' });
    const first = await manager.begin(request());
    await first.session.login('frank');
    await first.commit();
    oldSession(OLD_SID, { userId: 'frank' });
    const rs = await manager.begin(request(OLD_COOKIE));
    expect(rs.session.authenticated).toBe(false);
    expect(await rs.commit()).toEqual([]);
    expect(source.records.has(OLD_SID)).toBe(true);
    expect(source.calls.restore).toBe(1);
    expect(migrated().at(-1)).toMatchObject({ outcome: 'limit', userId: 'frank', handle: null });
    // Once a slot is free, the same old cookie migrates.
    await manager.revokeAllSessions('frank');
    expect((await manager.begin(request(OLD_COOKIE))).session.userId).toBe('frank');
  });

  it('migrate() answering what a session cannot hold: anonymous, record put back, logged', async () => {
    const { manager, source, errors, oldSession, migrated } = setup({
      migrate: () => ({ userId: 'gina', data: { when: new Date() } }),
    });
    oldSession(OLD_SID, { userId: 'gina' });
    const rs = await manager.begin(request(OLD_COOKIE));
    expect(rs.session.authenticated).toBe(false);
    expect(await rs.commit()).toEqual([]);
    expect(source.records.has(OLD_SID)).toBe(true);
    expect(errors).toEqual([expect.stringContaining('express-session migration (memory)')]);
    expect(migrated().at(-1)).toMatchObject({ outcome: 'invalid' });
  });

  it('an anonymous old session with data carried becomes an anonymous session; with nothing, none', async () => {
    const { manager, store, oldSession } = setup({
      migrate: (old) => ({ userId: null, data: { cart: old.cart } }),
    });
    oldSession(OLD_SID, { cart: ['x'] });
    const rs = await manager.begin(request(OLD_COOKIE));
    expect(rs.session.authenticated).toBe(false);
    expect(rs.session.get('cart')).toEqual(['x']);
    expect(store.counts.create).toBe(1);
    const empty = setup();
    empty.oldSession(OLD_SID, { counter: 1 });
    const none = await empty.manager.begin(request(OLD_COOKIE));
    expect(none.session.handle).toBeNull();
    expect(cookieLines(await none.commit())).toEqual([CLEAR_OLD]);
  });

  it('a request with a Tessera cookie, or without connect.sid, never reads the old store', async () => {
    const { manager, source, oldSession } = setup();
    const first = await manager.begin(request());
    first.session.set('n', 1);
    const pair = tesseraPair(await first.commit())!;
    oldSession(OLD_SID, { userId: 'alice' });
    await manager.begin(request(`${pair}; ${OLD_COOKIE}`));
    await manager.begin(request('theme=dark'));
    await manager.begin(request());
    expect(source.calls.take).toBe(0);
  });

  it('the old store failing is a 503 (store_unavailable), not an anonymous request', async () => {
    const { manager, source } = setup();
    source.take = () => Promise.reject(new Error('connection refused'));
    await expect(manager.begin(request(OLD_COOKIE))).rejects.toMatchObject({ code: 'store_unavailable' });
  });

  it('connectStore() wraps a connect store: get, destroy, and set to put a record back', async () => {
    const sessions = new Map<string, unknown>([['s1', { userId: 'hal', cookie: { expires: null } }]]);
    const calls: string[] = [];
    const old = {
      get: (sid: string, cb: (e: unknown, s?: unknown) => void) => {
        calls.push('get');
        setImmediate(() => cb(null, sessions.get(sid) ?? null));
      },
      destroy: (sid: string, cb?: (e?: unknown) => void) => {
        calls.push('destroy');
        sessions.delete(sid);
        setImmediate(() => cb?.());
      },
      set: (sid: string, s: unknown, cb?: (e?: unknown) => void) => {
        calls.push('set');
        sessions.set(sid, s);
        setImmediate(() => cb?.());
      },
    };
    const source = connectStore(old);
    expect(source.atomic).toBe(false);
    const taken = await source.take('s1', { now: 0 });
    expect(taken).toEqual({ value: { userId: 'hal', cookie: { expires: null } }, expiresAt: null });
    expect(await source.take('s1', { now: 0 })).toBeNull();
    await source.restore!('s1', taken!, { now: 0 });
    expect(calls).toEqual(['get', 'destroy', 'get', 'set']);
    expect(sessions.has('s1')).toBe(true);
  });

  it('refuses bad options at start-up', () => {
    const source = memoryMigrationSource();
    const store = new MemoryStore({ warnInProduction: false });
    expect(() => expressSession({ secrets: [], source })).toThrow(/secrets/);
    expect(() => expressSession({ secrets: SECRET, source, cookieName: 'bad name' })).toThrow(/cookie/);
    expect(() => expressSession({ secrets: SECRET, source: {} as never })).toThrow(/source/);
    expect(() =>
      createSessionManager({
        store,
        migrateFrom: expressSession({ secrets: SECRET, source, cookieName: '__Host-sid' }),
      }),
    ).toThrow(/differ/);
  });
});
