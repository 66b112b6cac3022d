/**
 * readSession(manager, cookies, { headers }): the read-only session for code without a Request
 * (Next.js server components and server actions), fed by cookie and header stores shaped like
 * Next's `await cookies()` and `await headers()`.
 */
import { createSessionManager, MemoryStore, type SessionManager } from '@tessera/session-core';
import { type InstrumentedStore, instrumentStore } from '@tessera/session-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSession, skipCsrf, withSession } from '../src/index.js';

type Data = { counter: number };

/** A Next-shaped cookie store over `name=value` pairs. */
const cookiesOf = (pairs: Record<string, string>) => ({
  get: (name: string) => (Object.hasOwn(pairs, name) ? { name, value: pairs[name]! } : undefined),
});
const headersOf = (h: Record<string, string>) => new Headers(h);

describe('readSession', () => {
  let store: InstrumentedStore;
  let manager: SessionManager<Data>;
  let sid: string;
  beforeAll(async () => {
    store = instrumentStore(new MemoryStore({ warnInProduction: false }));
    manager = createSessionManager<Data>({ store, clientBinding: 'reject' });
    const login = withSession<Data>(
      skipCsrf(async (_request, session) => {
        await session.login('ada');
        session.set('counter', 7);
        return new Response(null, { status: 204 });
      }),
      { manager },
    );
    const res = await login(
      new Request('http://app.test/login', { method: 'POST', headers: { 'user-agent': 'ua-1' } }),
    );
    sid = /__Host-sid=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? '';
    expect(sid).not.toBe('');
  });
  afterAll(() => manager.close());

  it('reads the signed-in session in one store call, writes nothing, sets no cookie', async () => {
    store.reset();
    const s = await readSession(manager, cookiesOf({ '__Host-sid': sid }), {
      headers: headersOf({ 'user-agent': 'ua-1' }),
    });
    expect(s).toMatchObject({ authenticated: true, userId: 'ada', endedReason: null });
    expect(s.get('counter')).toBe(7);
    expect(s.keys()).toEqual(['counter']);
    expect(s.csrfToken).toEqual(expect.any(String));
    const devices = await s.listSessions();
    expect(devices).toHaveLength(1);
    expect(devices[0]).toMatchObject({ current: true, userAgent: 'ua-1', handle: s.handle });
    expect(store.counts.load).toBe(1);
    expect(store.total()).toBe(2); // the load, then listUserSessions
    // No write path is reachable from the view.
    for (const method of [
      'set',
      'delete',
      'login',
      'logout',
      'regenerate',
      'save',
      'revokeSession',
      'commit',
    ])
      expect(method in s).toBe(false);
  });

  it('without a cookie: anonymous, no store call, no CSRF token (its cookie needs a route handler)', async () => {
    store.reset();
    const s = await readSession(manager, cookiesOf({}));
    expect(s).toMatchObject({ authenticated: false, userId: null, handle: null, csrfToken: null });
    expect(s.get('counter')).toBeUndefined();
    expect(store.total()).toBe(0);
  });

  it('passes the headers to client binding: another User-Agent reads as ended (clientBinding: reject)', async () => {
    const other = await readSession(manager, cookiesOf({ '__Host-sid': sid }), {
      headers: headersOf({ 'user-agent': 'someone-else' }),
    });
    expect(other).toMatchObject({ authenticated: false, endedReason: 'anomaly' });
  });

  it('a forged or unknown cookie reads as anonymous; store down rejects with store_unavailable', async () => {
    expect(await readSession(manager, cookiesOf({ '__Host-sid': 'x'.repeat(43) }))).toMatchObject({
      authenticated: false,
    });
    store.mode = 'reject';
    try {
      await expect(
        readSession(manager, cookiesOf({ '__Host-sid': sid }), {
          headers: headersOf({ 'user-agent': 'ua-1' }),
        }),
      ).rejects.toMatchObject({ code: 'store_unavailable' });
    } finally {
      store.mode = 'up';
    }
    await expect(readSession(manager, cookiesOf({}), { trustProxy: -1 })).rejects.toThrow(/trustProxy/);
  });
});
