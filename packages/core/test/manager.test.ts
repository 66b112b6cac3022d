import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { type InstrumentedStore, instrumentStore } from '../../testing/src/instrumented-store.js';
import {
  createSessionManager,
  isSessionError,
  ManualClock,
  MemoryStore,
  type ResponseHeaders,
  type SessionEvent,
  type SessionManagerOptions,
  TokenCodec,
} from '../src/index.js';

const MIN = 60_000;

function request(cookie?: string, method = 'GET', headers: Record<string, string> = {}, ip = '203.0.113.9') {
  const h: Record<string, string> = { ...headers };
  if (cookie !== undefined) h.cookie = cookie;
  return { method, header: (name: string) => h[name], ip, selfOrigin: 'https://app.test' };
}

function sessionCookie(headers: ResponseHeaders): string | undefined {
  const line = headers.find(([k, v]) => k === 'set-cookie' && v.startsWith('__Host-sid='))?.[1];
  return line?.split(';')[0];
}

function setup(options: Partial<SessionManagerOptions> = {}) {
  const clock = new ManualClock();
  const store: InstrumentedStore = instrumentStore(new MemoryStore());
  const events: SessionEvent[] = [];
  const manager = createSessionManager({ store, clock, onEvent: (e) => events.push(e), ...options });
  /** A request that writes `counter` and returns the cookie pair `__Host-sid=...`. */
  const create = async (data: Record<string, unknown> = { counter: 1 }) => {
    const rs = await manager.begin(request());
    for (const [k, v] of Object.entries(data)) rs.session.set(k, v);
    return sessionCookie(await rs.commit())!;
  };
  const login = async (userId: string, cookie?: string) => {
    const rs = await manager.begin(request(cookie, 'POST'));
    await rs.session.login(userId);
    return sessionCookie(await rs.commit())!;
  };
  return { clock, store, events, manager, create, login };
}

describe('cookies and headers', () => {
  it('a first write sets the exact default cookie with Cache-Control: no-store', async () => {
    const { manager } = setup();
    const rs = await manager.begin(request());
    rs.session.set('counter', 1);
    const headers = await rs.commit();
    expect(headers).toHaveLength(3);
    expect(headers[0]![1].replace(/=[A-Za-z0-9_-]{43};/, '=<token>;')).toMatchInlineSnapshot(
      `"__Host-sid=<token>; Path=/; HttpOnly; Secure; SameSite=Lax"`,
    );
    expect(headers[1]).toEqual(['cache-control', 'no-store']);
    // The new session's CSRF token, so the page's (pre-session) one can be replaced.
    expect(headers[2]).toEqual(['x-csrf-token', rs.session.csrfToken]);
  });

  it('a read-only request sends no header at all', async () => {
    const { manager, create } = setup();
    const cookie = await create();
    const rs = await manager.begin(request(cookie));
    expect(rs.session.get('counter')).toBe(1);
    expect(await rs.commit()).toEqual([]);
  });

  it('logout expires the cookie with matching attributes and no-store', async () => {
    const { manager, create } = setup();
    const rs = await manager.begin(request(await create(), 'POST'));
    await rs.session.logout();
    expect(await rs.commit()).toEqual([
      [
        'set-cookie',
        '__Host-sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax',
      ],
      ['cache-control', 'no-store'],
    ]);
  });

  it('persistent cookies carry Max-Age up to the absolute deadline, not the idle one', async () => {
    const { manager } = setup({ cookie: { persistent: true } });
    const rs = await manager.begin(request());
    rs.session.set('a', 1);
    const [[, line]] = (await rs.commit()) as [[string, string]];
    expect(line).toContain('; Max-Age=28800;');
  });
});

describe('store work per request (counted)', () => {
  it('no cookie, malformed cookie, forged signature: zero store operations', async () => {
    const keys = [{ id: 'k1', secret: 'k'.repeat(32) }];
    const { manager, store } = setup({ keys });
    const forger = new TokenCodec({ keys: [{ id: 'k1', secret: 'x'.repeat(32) }] });
    for (const cookie of [
      undefined,
      '',
      '__Host-sid=not-a-token',
      `__Host-sid=${'A'.repeat(43)}`,
      `__Host-sid=${forger.toCookieValue(forger.mint())}`,
      '__Host-sid=a; __Host-sid=b',
    ]) {
      const rs = await manager.begin(request(cookie));
      expect(rs.session.authenticated).toBe(false);
      await rs.commit();
    }
    expect(store.total()).toBe(0);
  });

  it('10,000 random Cookie headers never throw and never reach the store', async () => {
    const { manager, store } = setup({ keys: [{ id: 'k1', secret: 'k'.repeat(32) }] });
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.string({ maxLength: 80 }).map((v) => `__Host-sid=${v}`),
          fc
            .array(fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 50 })), { maxLength: 20 })
            .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('; ')),
        ),
        async (cookie) => {
          runs++;
          const rs = await manager.begin(request(cookie));
          expect(rs.session.authenticated).toBe(false);
          await rs.commit();
        },
      ),
      { numRuns: 10_000 },
    );
    expect(runs).toBe(10_000);
    expect(store.total()).toBe(0);
  });

  it('a read-only request is one load; inside the touch interval, no write at all', async () => {
    const { manager, store, clock, create } = setup();
    const cookie = await create();
    store.reset();
    clock.advance(30_000);
    const rs = await manager.begin(request(cookie));
    expect(await rs.commit()).toEqual([]);
    expect(store.counts).toMatchObject({ load: 1, create: 0, update: 0, rotate: 0, destroy: 0 });
    expect(store.total()).toBe(1);
  });

  it('a changed session is one more call, writing only the changed keys', async () => {
    const { manager, store, create } = setup();
    const cookie = await create({ a: 1, b: 2 });
    store.reset();
    const rs = await manager.begin(request(cookie, 'POST'));
    rs.session.set('a', 10);
    rs.session.delete('b');
    await rs.commit();
    expect(store.counts).toMatchObject({ load: 1, update: 1 });
    expect(store.total()).toBe(2);
    const after = await manager.begin(request(cookie));
    expect(after.session.toJSON()).toEqual({ a: 10 });
  });

  it('login and logout are one store call each', async () => {
    const { manager, store, create } = setup();
    const cookie = await create();
    store.reset();
    const rs = await manager.begin(request(cookie, 'POST'));
    await rs.session.login('alice');
    const fresh = sessionCookie(await rs.commit())!;
    expect(store.counts).toMatchObject({ load: 1, rotate: 1 });
    expect(store.total()).toBe(2);
    store.reset();
    const out = await manager.begin(request(fresh, 'POST'));
    await out.session.logout();
    await out.commit();
    expect(store.counts).toMatchObject({ load: 1, destroy: 1 });
    expect(store.total()).toBe(2);
  });
});

describe('timeouts (injected clock)', () => {
  it('idle: valid at T-1 ms, expired at T and T+1 ms', async () => {
    for (const [offset, valid] of [
      [-1, true],
      [0, false],
      [1, false],
    ] as const) {
      const { manager, clock, create, events } = setup({ touchIntervalMs: MIN });
      const cookie = await create();
      clock.advance(30 * MIN + offset);
      const rs = await manager.begin(request(cookie));
      expect(rs.session.get('counter')).toBe(valid ? 1 : undefined);
      if (!valid) {
        expect(rs.session.endedReason).toBe('idle');
        expect(events.some((e) => e.type === 'expired' && e.reason === 'idle')).toBe(true);
        expect(sessionCookie(await rs.commit())).toBe('__Host-sid=');
      }
    }
  });

  it('absolute: reached even with constant activity; touches never move it', async () => {
    const { manager, clock, login } = setup();
    const cookie = await login('alice');
    const first = await manager.begin(request(cookie));
    const absolute = first.session.absoluteExpiresAt!;
    for (let t = 0; t < 8 * 60; t += 5) {
      clock.advance(5 * MIN);
      const rs = await manager.begin(request(cookie));
      if (clock.now() >= absolute) {
        expect(rs.session.authenticated).toBe(false);
        expect(rs.session.endedReason).toBe('absolute');
        return;
      }
      expect(rs.session.authenticated).toBe(true);
      expect(rs.session.absoluteExpiresAt).toBe(absolute);
      expect(rs.session.expiresAt!).toBeLessThanOrEqual(absolute);
    }
    throw new Error('never expired');
  });

  it('per-login timeouts override the policy', async () => {
    const { manager, clock } = setup();
    const rs = await manager.begin(request(undefined, 'POST'));
    await rs.session.login('alice', { absoluteTimeoutMs: 10 * MIN, idleTimeoutMs: 2 * MIN });
    const cookie = sessionCookie(await rs.commit())!;
    clock.advance(2 * MIN + 1);
    expect((await manager.begin(request(cookie))).session.endedReason).toBe('idle');
  });

  it('per-login timeouts are whole ms and at most 100 years; the store sees integers only', async () => {
    const { manager, store, clock } = setup();
    const rs = await manager.begin(request(undefined, 'POST'));
    await rs.session.login('alice', { idleTimeoutMs: 0.1 * 3 * 60_000, absoluteTimeoutMs: 7_200_000.5 });
    const cookie = sessionCookie(await rs.commit())!;
    const [info] = await store.listUserSessions('alice', { now: clock.now() });
    expect(info!.absoluteExpiresAt - info!.createdAt).toBe(7_200_001);
    expect(info!.expiresAt - info!.lastSeenAt).toBe(18_000);
    clock.advance(18_000);
    expect((await manager.begin(request(cookie))).session.endedReason).toBe('idle');
    const again = await manager.begin(request(undefined, 'POST'));
    await expect(again.session.login('bob', { absoluteTimeoutMs: 1e300 })).rejects.toThrow(TypeError);
    await expect(again.session.login('bob', { idleTimeoutMs: Number.NaN })).rejects.toThrow(TypeError);
  });

  it('a clock with fractions of a ms is read as whole ms', async () => {
    const store = new MemoryStore({ warnInProduction: false });
    const manager = createSessionManager({ store, clock: { now: () => 1_767_225_600_000.75 } });
    const rs = await manager.begin(request(undefined, 'POST'));
    await rs.session.login('alice');
    await rs.commit();
    const [info] = await store.listUserSessions('alice', { now: manager.now() });
    expect(manager.now()).toBe(1_767_225_600_000);
    expect(info!.createdAt).toBe(1_767_225_600_000);
  });

  it('the clock stepping backwards never revives or extends a session', async () => {
    const { manager, clock, login } = setup();
    const cookie = await login('alice');
    const abs = (await manager.begin(request(cookie))).session.absoluteExpiresAt;
    clock.advance(-3_600_000);
    const rs = await manager.begin(request(cookie));
    expect(rs.session.authenticated).toBe(true);
    expect(rs.session.absoluteExpiresAt).toBe(abs);
  });
});

describe('login, logout, fixation', () => {
  it('login issues a new token; the old one no longer loads; listed data is kept', async () => {
    const { manager, create, events } = setup({ keepDataOnLogin: ['cart'] });
    const anon = await create({ cart: ['book'] });
    const rs = await manager.begin(request(anon, 'POST'));
    await rs.session.login('alice');
    const authed = sessionCookie(await rs.commit())!;
    expect(authed).not.toBe(anon);
    const old = await manager.begin(request(anon));
    expect(old.session.get('cart')).toBeUndefined();
    expect(old.session.endedReason).not.toBeNull();
    const now = await manager.begin(request(authed));
    expect(now.session.userId).toBe('alice');
    expect(now.session.get('cart')).toEqual(['book']);
    expect(events.map((e) => e.type)).toContain('login');
  });

  it('an attacker-planted anonymous token is dead after the victim logs in (fixation)', async () => {
    const { manager, create } = setup();
    const planted = await create({ x: 1 });
    await (async () => {
      const rs = await manager.begin(request(planted, 'POST'));
      await rs.session.login('victim');
      await rs.commit();
    })();
    const attacker = await manager.begin(request(planted));
    expect(attacker.session.authenticated).toBe(false);
    expect(attacker.session.userId).toBeNull();
  });

  it('keepDataOnLogin defaults to no key: data planted in the anonymous session is not carried into the signed-in one (issue #13.3)', async () => {
    const { manager, create } = setup();
    const planted = await create({ returnTo: 'https://evil.example', oauthState: 'attacker', cart: [1] });
    const rs = await manager.begin(request(planted, 'POST'));
    await rs.session.login('victim');
    // Gone from the handle at once, not only from the next request.
    expect(rs.session.toJSON()).toEqual({});
    const victim = sessionCookie(await rs.commit())!;
    expect((await manager.begin(request(victim))).session.toJSON()).toEqual({});
    // Re-login as the same user keeps the user's own data.
    const again = await manager.begin(request(victim, 'POST'));
    again.session.set('theme', 'dark');
    await again.session.login('victim');
    const after = sessionCookie(await again.commit())!;
    expect((await manager.begin(request(after))).session.toJSON()).toEqual({ theme: 'dark' });
  });

  it('keepDataOnLogin: a list keeps only those keys; data never crosses users', async () => {
    const { manager, create } = setup({ keepDataOnLogin: ['cart'] });
    const anon = await create({ cart: [1], tracking: 'x' });
    const rs = await manager.begin(request(anon, 'POST'));
    await rs.session.login('alice');
    const alice = sessionCookie(await rs.commit())!;
    const a = await manager.begin(request(alice, 'POST'));
    expect(a.session.toJSON()).toEqual({ cart: [1] });
    a.session.set('secret', 'alice-only');
    await a.session.login('bob');
    const bob = sessionCookie(await a.commit())!;
    expect((await manager.begin(request(bob))).session.toJSON()).toEqual({});
  });

  it('logout destroys server-side: replaying the cookie is anonymous', async () => {
    const { manager, login } = setup();
    const cookie = await login('alice');
    const rs = await manager.begin(request(cookie, 'POST'));
    await rs.session.logout();
    await rs.commit();
    const replay = await manager.begin(request(cookie));
    expect(replay.session.authenticated).toBe(false);
    expect(replay.session.endedReason).toBe('unknown');
  });

  it('a request that began before logout does not resurrect the session when it commits', async () => {
    const { manager, login } = setup();
    const cookie = await login('alice');
    const slow = await manager.begin(request(cookie, 'POST'));
    const out = await manager.begin(request(cookie, 'POST'));
    await out.session.logout();
    await out.commit();
    slow.session.set('late', true);
    const headers = await slow.commit();
    expect(sessionCookie(headers)).toBe('__Host-sid=');
    expect((await manager.begin(request(cookie))).session.authenticated).toBe(false);
  });

  it('two concurrent logins from one token: exactly one new token works', async () => {
    const { manager, create } = setup();
    const anon = await create();
    const a = await manager.begin(request(anon, 'POST'));
    const b = await manager.begin(request(anon, 'POST'));
    const results = await Promise.allSettled([a.session.login('alice'), b.session.login('alice')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(isSessionError(rejected.reason, 'session_conflict')).toBe(true);
  });

  it('regenerate: new token, same user and data, same absolute deadline', async () => {
    const { manager, login, clock } = setup();
    const cookie = await login('alice');
    clock.advance(MIN);
    const rs = await manager.begin(request(cookie, 'POST'));
    rs.session.set('k', 'v');
    const abs = rs.session.absoluteExpiresAt;
    await rs.session.regenerate();
    const next = sessionCookie(await rs.commit())!;
    expect(next).not.toBe(cookie);
    const after = await manager.begin(request(next));
    expect(after.session.userId).toBe('alice');
    expect(after.session.get('k')).toBe('v');
    expect(after.session.absoluteExpiresAt).toBe(abs);
    expect((await manager.begin(request(cookie))).session.authenticated).toBe(false);
  });
});

describe('per-user cap and devices', () => {
  it('evict-oldest: the 6th login evicts the first, which stops working at once', async () => {
    const { manager, login, clock, events } = setup();
    const cookies = [];
    for (let i = 0; i < 6; i++) {
      cookies.push(await login('alice'));
      clock.advance(1);
    }
    expect((await manager.begin(request(cookies[0]))).session.authenticated).toBe(false);
    expect((await manager.begin(request(cookies[5]))).session.authenticated).toBe(true);
    expect(events.filter((e) => e.type === 'evicted')).toHaveLength(1);
    expect(await manager.listSessions('alice')).toHaveLength(5);
  });

  it('reject: the login at the cap fails with session_limit and changes nothing', async () => {
    const { manager, login } = setup({ maxSessionsPerUser: 2, onLimit: 'reject' });
    await login('alice');
    await login('alice');
    const rs = await manager.begin(request(undefined, 'POST'));
    rs.session.set('cart', [1]);
    await expect(rs.session.login('alice')).rejects.toMatchObject({ code: 'session_limit' });
    expect(rs.session.authenticated).toBe(false);
    expect(rs.session.get('cart')).toEqual([1]);
  });

  it('with no cap (Infinity) sessions are still indexed and listed', async () => {
    const { manager, login } = setup({ maxSessionsPerUser: Number.POSITIVE_INFINITY });
    for (let i = 0; i < 7; i++) await login('alice');
    expect(await manager.listSessions('alice')).toHaveLength(7);
  });

  it('lists devices with the current one marked; revoke one; revoke others', async () => {
    const { manager, login } = setup();
    const a = await login('alice');
    const b = await login('alice');
    const rs = await manager.begin(request(a));
    const list = await rs.session.listSessions();
    expect(list).toHaveLength(2);
    expect(list.filter((d) => d.current)).toHaveLength(1);
    expect(list[0]).toMatchObject({ ip: '203.0.113.9', userAgent: '' });
    const other = list.find((d) => !d.current)!;
    expect(other.handle).not.toContain(b.slice(11, 20));
    expect(await rs.session.revokeSession(other.handle)).toBe(true);
    expect((await manager.begin(request(b))).session.authenticated).toBe(false);
    const c = await login('alice');
    const d = await login('alice');
    expect(await (await manager.begin(request(a))).session.revokeOtherSessions()).toBe(2);
    for (const x of [c, d]) expect((await manager.begin(request(x))).session.authenticated).toBe(false);
    expect((await manager.begin(request(a))).session.authenticated).toBe(true);
  });

  // Issue #15: the admin API took a store key (`revokeAll(userId, except?: SessionKey)`),
  // which an application never holds; it takes the public handle now.
  it('revokeAllSessions spares the session named by its public handle, never a store key', async () => {
    const { manager, login } = setup();
    const a = await login('alice');
    const b = await login('alice');
    const c = await login('alice');
    const keep = (await manager.begin(request(a))).session.handle!;
    expect(await manager.revokeAllSessions('alice', { except: keep })).toBe(2);
    for (const x of [b, c]) expect((await manager.begin(request(x))).session.authenticated).toBe(false);
    expect((await manager.begin(request(a))).session.authenticated).toBe(true);
    expect(await manager.revokeAllSessions('alice')).toBe(1);
    expect((await manager.begin(request(a))).session.authenticated).toBe(false);
  });

  it('revokeAllSessions refuses a malformed `except` with invalid_data and revokes nothing', async () => {
    const { manager, login } = setup();
    const a = await login('alice');
    for (const except of ['', 'x'.repeat(65), 42 as unknown as string]) {
      await expect(manager.revokeAllSessions('alice', { except })).rejects.toMatchObject({
        code: 'invalid_data',
      });
    }
    expect((await manager.begin(request(a))).session.authenticated).toBe(true);
  });
});

describe('fail closed', () => {
  it('a store that fails or hangs past storeTimeoutMs gives a typed error; recovery needs no restart', async () => {
    const { manager, store, create, events } = setup({ storeTimeoutMs: 50 });
    const cookie = await create();
    for (const mode of ['reject', 'hang'] as const) {
      store.mode = mode;
      const started = Date.now();
      await expect(manager.begin(request(cookie))).rejects.toMatchObject({ code: 'store_unavailable' });
      expect(Date.now() - started).toBeLessThan(2_000);
    }
    expect(events.filter((e) => e.type === 'store-error')).toHaveLength(2);
    // No cookie: no store, so no error even while it is down.
    await expect(manager.begin(request())).resolves.toBeDefined();
    store.mode = 'up';
    expect((await manager.begin(request(cookie))).session.get('counter')).toBe(1);
  });

  it('corrupt stored records are treated as absent, reported and deleted', async () => {
    const { manager, store, create, events } = setup();
    const inner = store.inner as MemoryStore;
    const original = inner.load.bind(inner);
    const protoKey = { data: JSON.parse('{"__proto__":"{}"}') };
    const nestedProto = { data: { k: '{"a":{"__proto__":{"polluted":1}}}' } };
    // The same keys spelled with JSON escapes decode to the same names.
    const escapedProto = { data: { k: '{"a":{"\\u005f_proto__":{"polluted":1}}}' } };
    const escapedCtor = { data: { k: '[{"\\u0063onstructor":1}]' } };
    let cookie = '';
    for (const bad of [
      { version: 2 },
      { createdAt: 'x' },
      { data: { k: '{not json' } },
      protoKey,
      nestedProto,
      escapedProto,
      escapedCtor,
    ]) {
      inner.load = original;
      cookie = await create();
      inner.load = async (key, options) => {
        const r = await original(key, options);
        return r.status === 'found' ? { ...r, session: { ...r.session, ...bad } as never } : r;
      };
      const rs = await manager.begin(request(cookie));
      expect(rs.session.toJSON()).toEqual({});
      expect(rs.session.endedReason).toBe('corrupt');
    }
    expect(events.filter((e) => e.type === 'rejected' && e.reason === 'corrupt')).toHaveLength(7);
    expect(events.filter((e) => e.type === 'store-error' && e.operation === 'decode')).toHaveLength(7);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    inner.load = original;
    // Deleted, not just skipped: the record is gone from the store.
    expect((await manager.begin(request(cookie))).session.endedReason).toBe('unknown');
  });

  it('the words alone, as values or inside longer keys, are data like any other', async () => {
    const { manager, create } = setup();
    const cookie = await create();
    const rs = await manager.begin(request(cookie, 'POST'));
    const value = {
      note: 'constructor prototype __proto__ \\ "quoted"',
      constructorName: 'x',
      prototypes: [1],
    };
    rs.session.set('k', value);
    await rs.commit();
    expect((await manager.begin(request(cookie))).session.get('k')).toEqual(value);
  });
});

describe('CSRF', () => {
  let env: ReturnType<typeof setup>;
  beforeEach(() => {
    env = setup();
  });

  it('safe methods pass; unsafe need the session token in constant time', async () => {
    const cookie = await env.login('alice');
    const page = await env.manager.begin(request(cookie));
    const token = page.session.csrfToken;
    expect((await env.manager.begin(request(cookie))).checkCsrf()).toEqual({ ok: true });
    expect((await env.manager.begin(request(cookie, 'POST'))).checkCsrf()).toEqual({
      ok: false,
      reason: 'missing',
    });
    const wrong = await env.manager.begin(request(cookie, 'POST', { 'x-csrf-token': `${token}x` }));
    expect(wrong.checkCsrf()).toEqual({ ok: false, reason: 'mismatch' });
    expect((await env.manager.begin(request(cookie, 'POST', { 'x-csrf-token': token }))).checkCsrf()).toEqual(
      { ok: true },
    );
    expect((await env.manager.begin(request(cookie, 'POST'))).checkCsrf(token)).toEqual({ ok: true });
  });

  it("another session's token is refused", async () => {
    const a = await env.login('alice');
    const b = await env.login('bob');
    const tokenB = (await env.manager.begin(request(b))).session.csrfToken;
    const rs = await env.manager.begin(request(a, 'POST', { 'x-csrf-token': tokenB }));
    expect(rs.checkCsrf()).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('cross-site Sec-Fetch-Site and foreign Origin are refused before the token', async () => {
    const cookie = await env.login('alice');
    const token = (await env.manager.begin(request(cookie))).session.csrfToken;
    const cross = await env.manager.begin(
      request(cookie, 'POST', { 'x-csrf-token': token, 'sec-fetch-site': 'cross-site' }),
    );
    expect(cross.checkCsrf()).toEqual({ ok: false, reason: 'cross-site' });
    const origin = await env.manager.begin(
      request(cookie, 'POST', { 'x-csrf-token': token, origin: 'https://evil.test' }),
    );
    expect(origin.checkCsrf()).toEqual({ ok: false, reason: 'origin' });
    const same = await env.manager.begin(
      request(cookie, 'POST', { 'x-csrf-token': token, origin: 'https://app.test' }),
    );
    expect(same.checkCsrf()).toEqual({ ok: true });
  });

  it('login forms get a pre-session token (cookie, no store record) that is rotated at login', async () => {
    const form = await env.manager.begin(request());
    const token = form.session.csrfToken;
    const headers = await form.commit();
    const pre = headers
      .find(([k, v]) => k === 'set-cookie' && v.startsWith('__Host-csrf='))![1]
      .split(';')[0]!;
    expect(env.store.total()).toBe(0);
    // Login CSRF: without the pre-session cookie the token is worthless.
    expect(
      (await env.manager.begin(request(undefined, 'POST', { 'x-csrf-token': token }))).checkCsrf().ok,
    ).toBe(false);
    const rs = await env.manager.begin(request(pre, 'POST', { 'x-csrf-token': token }));
    expect(rs.checkCsrf()).toEqual({ ok: true });
    await rs.session.login('alice');
    const out = await rs.commit();
    expect(
      out.some(([k, v]) => k === 'set-cookie' && v.startsWith('__Host-csrf=; ') && v.includes('Max-Age=0')),
    ).toBe(true);
    expect(rs.session.csrfToken).not.toBe(token);
  });
});

describe('client binding', () => {
  it('event (default): a new network emits an anomaly with hashes, session continues', async () => {
    const { manager, login, events } = setup();
    const cookie = await login('alice');
    const rs = await manager.begin(request(cookie, 'GET', {}, '198.51.100.4'));
    expect(rs.session.authenticated).toBe(true);
    const anomaly = events.find((e) => e.type === 'anomaly');
    expect(anomaly).toMatchObject({ kind: 'ip', action: 'event' });
    expect(JSON.stringify(anomaly)).not.toContain('198.51.100');
    // Same /24: no anomaly.
    events.length = 0;
    await manager.begin(request(cookie, 'GET', {}, '203.0.113.200'));
    expect(events.some((e) => e.type === 'anomaly')).toBe(false);
  });

  it('reject: a changed user agent ends the session', async () => {
    const { manager, login } = setup({ clientBinding: 'reject' });
    const cookie = await login('alice');
    const rs = await manager.begin(request(cookie, 'GET', { 'user-agent': 'other' }));
    expect(rs.session.authenticated).toBe(false);
    expect(rs.session.endedReason).toBe('anomaly');
    expect((await manager.begin(request(cookie))).session.authenticated).toBe(false);
  });
});

describe('events and handle', () => {
  it('events never carry the token', async () => {
    const { manager, events, login } = setup();
    const cookie = await login('alice');
    const rs = await manager.begin(request(cookie, 'POST'));
    await rs.session.logout();
    await rs.commit();
    await manager.begin(request('__Host-sid=garbage'));
    const token = cookie.split('=')[1]!;
    expect(JSON.stringify(events)).not.toContain(token);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['login', 'logout', 'rejected']));
  });

  it('refuses prototype keys and non-JSON values; the handle is read-only after commit', async () => {
    const { manager } = setup();
    const rs = await manager.begin(request());
    for (const bad of [
      () => rs.session.set('__proto__', 1),
      () => rs.session.set('x', { constructor: 1 }),
      () => rs.session.set('x', 1n),
    ]) {
      expect(bad).toThrow(expect.objectContaining({ code: 'invalid_data' }));
    }
    rs.session.set('ok', { a: [1, 'b', null] });
    await rs.commit();
    expect(() => rs.session.set('y', 1)).toThrow(/committed/);
  });

  it('refuses key names and user ids with a lone surrogate (stores would merge them as U+FFFD) or NUL', async () => {
    const { manager, store, clock } = setup();
    const rs = await manager.begin(request(undefined, 'POST'));
    for (const key of ['\ud800', 'a\udc00', '\udc00\ud800', 'a\u0000b']) {
      expect(() => rs.session.set(key, 1)).toThrow(expect.objectContaining({ code: 'invalid_data' }));
    }
    await expect(rs.session.login('eve\ud800')).rejects.toThrow(TypeError);
    await expect(rs.session.login('eve\u0000')).rejects.toThrow(TypeError);
    // A well-formed pair is one character, not a lone surrogate.
    rs.session.set('\ud83d\ude00', 'smile');
    await rs.session.login('\ud83d\ude00-user');
    await rs.commit();
    expect(await store.listUserSessions('\ud83d\ude00-user', { now: clock.now() })).toHaveLength(1);
  });

  it('header mode (opt-in) accepts the token from a header and skips CSRF for it', async () => {
    const { manager } = setup({ tokenHeader: 'x-session-token' });
    const rs = await manager.begin(request());
    rs.session.set('a', 1);
    const cookie = sessionCookie(await rs.commit())!;
    const token = cookie.split('=')[1]!;
    const api = await manager.begin(request(undefined, 'POST', { 'x-session-token': token }));
    expect(api.session.get('a')).toBe(1);
    expect(api.checkCsrf()).toEqual({ ok: true });
  });

  it('rejects a store that does not implement the contract, and bad options, at construction', () => {
    expect(() => createSessionManager({ store: {} as never })).toThrow(/SessionStore/);
    expect(() => createSessionManager({ store: new MemoryStore(), idleTimeoutMs: -5 })).toThrow(
      /idleTimeoutMs/,
    );
    expect(() => createSessionManager({ store: new MemoryStore(), cookie: { path: '/\r\n' } })).toThrow(
      /path/,
    );
  });
});

describe('operations in flight', () => {
  it('a change while commit() runs is refused, not accepted and then lost', async () => {
    const { manager, store, create } = setup();
    const cookie = await create({ a: 1 });
    const rs = await manager.begin(request(cookie, 'POST'));
    rs.session.set('a', 2);
    const committing = rs.commit();
    expect(rs.commit()).toBe(committing);
    expect(() => rs.session.set('b', 1)).toThrow(expect.objectContaining({ code: 'invalid_state' }));
    await expect(rs.session.login('alice')).rejects.toThrow(
      expect.objectContaining({ code: 'invalid_state' }),
    );
    await committing;
    const next = await manager.begin(request(cookie));
    expect(next.session.toJSON()).toEqual({ a: 2 });
    expect(store.counts.update).toBe(1);
  });

  it('a change made while save() runs is kept for the next write', async () => {
    const { manager } = setup();
    const rs = await manager.begin(request(undefined, 'POST'));
    rs.session.set('a', 1);
    const saving = rs.session.save();
    rs.session.set('b', 2);
    rs.session.delete('a');
    await saving;
    const cookie = sessionCookie(await rs.commit())!;
    expect((await manager.begin(request(cookie))).session.toJSON()).toEqual({ b: 2 });
  });

  it('commit() waits for a save() the handler did not await: one create, no conflict', async () => {
    const { manager, store } = setup();
    const rs = await manager.begin(request(undefined, 'POST'));
    rs.session.set('a', 1);
    const saving = rs.session.save();
    const headers = await rs.commit();
    await saving;
    expect(store.counts.create).toBe(1);
    const cookie = sessionCookie(headers)!;
    expect((await manager.begin(request(cookie))).session.toJSON()).toEqual({ a: 1 });
  });

  it('a failed write gives its changes back: commit() again writes them', async () => {
    const { manager, store, create } = setup();
    const cookie = await create({ a: 1 });
    const rs = await manager.begin(request(cookie, 'POST'));
    rs.session.set('a', 2);
    rs.session.delete('a');
    rs.session.set('b', 3);
    store.mode = 'reject';
    await expect(rs.commit()).rejects.toThrow(expect.objectContaining({ code: 'store_unavailable' }));
    store.mode = 'up';
    await rs.commit();
    expect((await manager.begin(request(cookie))).session.toJSON()).toEqual({ b: 3 });
  });
});

describe('adapter hooks: needsCommit, commitIfClean, onFirstChange', () => {
  it('a read needs no commit: commitIfClean answers no headers at once, with no store call, and closes the handle', async () => {
    const { manager, store, create } = setup();
    const cookie = await create();
    store.reset();
    const rs = await manager.begin(request(cookie));
    expect(store.total()).toBe(1);
    expect(rs.needsCommit).toBe(false);
    expect(rs.session.get('counter')).toBe(1);
    expect(rs.commitIfClean()).toEqual([]);
    expect(store.total()).toBe(1);
    expect(() => rs.session.set('counter', 2)).toThrow(expect.objectContaining({ code: 'invalid_state' }));
    expect(await rs.commit()).toEqual([]);
  });

  it('a change, a cookie to clear or a new session needs the real commit', async () => {
    const { manager, create } = setup();
    const cookie = await create();
    const changed = await manager.begin(request(cookie, 'POST'));
    changed.session.set('counter', 2);
    expect(changed.needsCommit).toBe(true);
    expect(changed.commitIfClean()).toBeNull();
    await changed.commit();
    const stale = await manager.begin(request(`__Host-sid=${'A'.repeat(43)}`));
    expect(stale.needsCommit).toBe(true);
    expect(stale.commitIfClean()).toBeNull();
    const fresh = await manager.begin(request());
    expect(fresh.commitIfClean()).toEqual([]);
  });

  it('onFirstChange runs once, before the first change, and can refuse it', async () => {
    const { manager, create } = setup();
    const cookie = await create();
    const rs = await manager.begin(request(cookie, 'POST'));
    const calls: boolean[] = [];
    rs.onFirstChange(() => calls.push(rs.needsCommit));
    rs.session.get('counter');
    expect(calls).toEqual([]);
    rs.session.set('counter', 2);
    rs.session.set('other', 1);
    expect(calls).toEqual([false]);
    const refused = await manager.begin(request(cookie, 'POST'));
    refused.onFirstChange(() => {
      throw new Error('response already sent');
    });
    expect(() => refused.session.set('counter', 3)).toThrow('response already sent');
    expect(() => refused.session.delete('counter')).toThrow('response already sent');
    expect(refused.session.get('counter')).toBe(1);
  });
});
