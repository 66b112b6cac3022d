// Adapter contract cases for authentication: login rotation, redirect, logout, requireAuth, the cap, the client IP.
import { describe, expect, it } from 'vitest';
import { type AdapterCaseContext, CLEAR_COOKIE, SET_COOKIE_RE, SID } from './adapter-context.js';

export function describeAuthenticationCases(suite: AdapterCaseContext): void {
  const { timeout, clock, store, server, browser, user } = suite;

  describe('authentication', () => {
    it(
      'login rotates the token and the old one no longer works; only the listed keys are carried',
      async () => {
        const b = browser();
        await b.state();
        await b.send('POST', '/set', { json: { key: 'cart', value: ['x'] } });
        await b.send('POST', '/set', { json: { key: 'returnTo', value: '/elsewhere' } });
        const before = b.jar.get(SID)!;
        const id = user();
        const r = await b.login(id);
        expect(r.status).toBe(200);
        expect(r.body).toEqual({ userId: id });
        expect(r.sid).toHaveLength(1);
        expect(r.sid[0]).toMatch(SET_COOKIE_RE);
        expect(b.jar.get(SID)).not.toBe(before);
        const now = await b.state();
        expect(now.body).toMatchObject({ authenticated: true, userId: id });
        expect(now.body.data).toEqual({ cart: ['x'] });
        const old = await b.send('GET', '/state', { headers: { cookie: `${SID}=${before}` } });
        expect(old.body).toMatchObject({ authenticated: false, userId: null });
      },
      timeout,
    );

    it(
      'the redirect after login carries the cookie and the next request sees the login',
      async () => {
        const b = browser();
        await b.state();
        const id = user();
        const r = await b.send('POST', '/login-redirect', { json: { userId: id } });
        expect(r.status).toBe(303);
        expect(new URL(r.headers.get('location') ?? '', server().url).pathname).toBe('/state');
        expect(r.sid).toHaveLength(1);
        const next = await b.state();
        expect(next.body).toMatchObject({ authenticated: true, userId: id });
      },
      timeout,
    );

    it(
      'logout destroys the session server-side and expires the cookie with matching attributes',
      async () => {
        const b = browser();
        await b.login(user());
        const token = b.jar.get(SID)!;
        const r = await b.send('POST', '/logout');
        expect(r.status).toBe(204);
        expect(r.sid).toEqual([CLEAR_COOKIE]);
        expect(r.headers.get('cache-control')).toBe('no-store');
        expect(store().counts.destroy).toBe(1);
        store().reset();
        const replay = await b.send('GET', '/state', { headers: { cookie: `${SID}=${token}` } });
        expect(replay.body).toMatchObject({ authenticated: false });
        expect(store().counts.load).toBe(1);
      },
      timeout,
    );

    it(
      'requireAuth answers 401 unauthenticated, then 200 once signed in',
      async () => {
        const b = browser();
        const anon = await b.send('GET', '/protected');
        expect(anon.status).toBe(401);
        expect(anon.body).toEqual({ error: 'unauthenticated' });
        const id = user();
        await b.login(id);
        const ok = await b.send('GET', '/protected');
        expect(ok.status).toBe(200);
        expect(ok.body).toEqual({ userId: id });
      },
      timeout,
    );

    it(
      'a recent-authentication route answers 401 reauthentication_required once maxAuthAgeMs passed',
      async () => {
        const b = browser();
        const id = user();
        await b.login(id);
        expect((await b.send('GET', '/recent')).status).toBe(200);
        clock.advance(61_000);
        const stale = await b.send('GET', '/recent');
        expect(stale.status).toBe(401);
        expect(stale.body).toEqual({ error: 'reauthentication_required' });
        expect((await b.send('GET', '/protected')).status).toBe(200);
      },
      timeout,
    );

    it(
      "login at the cap with onLimit 'reject' answers 409 session_limit and keeps the session",
      async () => {
        const id = user();
        const [one, two, three] = [browser(), browser(), browser()];
        expect((await one.login(id)).status).toBe(200);
        expect((await two.login(id)).status).toBe(200);
        await three.state();
        await three.send('POST', '/set', { json: { key: 'k', value: 1 } });
        const r = await three.send('POST', '/login', { json: { userId: id } });
        expect(r.status).toBe(409);
        expect(r.body).toEqual({ error: 'session_limit' });
        expect((await three.state()).body).toMatchObject({ authenticated: false, data: { k: 1 } });
      },
      timeout,
    );

    it(
      'trustProxy off: X-Forwarded-For is ignored (the devices list shows the socket peer)',
      async () => {
        const b = browser();
        const spoof = { 'x-forwarded-for': '203.0.113.9' };
        await b.state();
        await b.send('POST', '/login', { json: { userId: user() }, headers: spoof });
        const r = await b.send('GET', '/devices', { headers: spoof });
        expect(r.status).toBe(200);
        const devices = r.body as { ip: string; current: boolean }[];
        expect(devices).toHaveLength(1);
        expect(devices[0]!.current).toBe(true);
        expect(['127.0.0.1', '::1']).toContain(devices[0]!.ip);
      },
      timeout,
    );
  });
}
