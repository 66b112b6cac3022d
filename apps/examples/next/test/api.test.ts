/**
 * The example app built with `next build` and served by `next start` on Redis, over HTTP:
 * route handlers through withSession (login, counter, devices, logout, CSRF), and the server
 * component reading the session with readSession(). The same client as the demo's API tests.
 */
import { Client } from '@tessera/demo/test/client';
import { describe, expect, inject, it } from 'vitest';

const next = inject('next');
// Loopback literal for the fetch clients: no dependence on how this machine resolves "localhost".
const base = next?.url.replace('//localhost:', '//127.0.0.1:') ?? '';
const SID = '__Host-sid';

describe.skipIf(!next)('Next.js example over HTTP (next build, next start, Redis)', () => {
  it('GET /api/session: the anonymous state and a pre-session CSRF token with its cookie', async () => {
    const c = new Client(base);
    const r = await c.send('GET', '/api/session');
    expect(r).toMatchObject({
      status: 200,
      body: { authenticated: false, userId: null, csrfToken: expect.any(String), counter: 0 },
    });
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^__Host-csrf=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/),
    ]);
    expect(c.jar.get(SID)).toBeUndefined(); // nothing stored yet
  });

  it('login: 403 csrf without the token, 401 on a wrong password, 200 with a new secure cookie', async () => {
    const c = new Client(base);
    await c.state();
    const login = (password: string, headers: Record<string, string> = {}) =>
      c.send('POST', '/api/login', { username: 'alice', password }, headers);
    const noToken = { 'x-csrf-token': '' };
    expect(await login('wonderland', noToken)).toMatchObject({ status: 403, body: { error: 'csrf' } });
    expect(await login('nope')).toMatchObject({ status: 401, body: { error: 'invalid_credentials' } });
    expect(await c.send('POST', '/api/counter')).toMatchObject({ status: 200, body: { counter: 1 } });
    const anonymous = c.jar.get(SID);
    expect(anonymous).toBeTruthy();

    const r = await login('wonderland');
    expect(r).toMatchObject({ status: 200, body: { userId: 'alice' } });
    const sid = r.headers.getSetCookie().find((line) => line.startsWith(`${SID}=`));
    expect(sid).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(c.jar.get(SID)).not.toBe(anonymous); // rotated
    expect(c.jar.has('__Host-csrf')).toBe(false); // the pre-session cookie is cleared
    expect(await c.state()).toMatchObject({ authenticated: true, userId: 'alice', counter: 0 });
    // The token the anonymous session had signs no one in.
    const old = new Client(base);
    old.jar.set(SID, anonymous ?? '');
    expect(await old.state()).toMatchObject({ authenticated: false, counter: 0 });
  });

  it('POST /api/counter counts in Redis and needs the session CSRF token', async () => {
    const c = new Client(base);
    await c.login('bob', 'builder');
    await c.state();
    for (const n of [1, 2, 3])
      expect(await c.send('POST', '/api/counter')).toMatchObject({ status: 200, body: { counter: n } });
    expect(await c.send('POST', '/api/counter', undefined, { 'x-csrf-token': 'forged' })).toMatchObject({
      status: 403,
      body: { error: 'csrf' },
    });
    // A cross-site request is refused before the token is looked at.
    expect(
      await c.send('POST', '/api/counter', undefined, {
        'sec-fetch-site': 'cross-site',
        origin: 'https://evil.example',
      }),
    ).toMatchObject({ status: 403, body: { error: 'csrf' } });
    expect((await c.state()).counter).toBe(3);
  });

  it('the server component reads the session and sets no cookie', async () => {
    const c = new Client(base);
    const anonymous = await c.send('GET', '/');
    expect(anonymous.status).toBe(200);
    expect(String(anonymous.body)).toContain('id="login"');
    expect(anonymous.headers.getSetCookie()).toEqual([]);

    await c.login('alice', 'wonderland');
    await c.state();
    await c.send('POST', '/api/counter');
    await c.send('POST', '/api/counter');
    const page = await c.send('GET', '/');
    expect(page.status).toBe(200);
    const html = String(page.body);
    expect(html).toMatch(/<b id="user">alice<\/b>/);
    expect(html).toMatch(/<b id="counter">2<\/b>/);
    expect(html).toContain('demo-test'); // this device's User-Agent, in the device list
    expect(page.headers.getSetCookie()).toEqual([]);
  });

  it('devices: list, revoke one (it is signed out), log out', async () => {
    const laptop = new Client(base, 'laptop');
    const phone = new Client(base, 'phone');
    expect(await laptop.send('GET', '/api/sessions')).toMatchObject({
      status: 401,
      body: { error: 'unauthenticated' },
    });
    for (const c of [laptop, phone]) expect((await c.login('carol', 'x')).status).toBe(401);
    for (const c of [laptop, phone]) expect((await c.login('bob', 'builder')).status).toBe(200);
    await laptop.state();
    const list = await laptop.send('GET', '/api/sessions');
    expect(list.status).toBe(200);
    const devices = list.body as Array<{ handle: string; userAgent: string | null; current: boolean }>;
    const mine = devices.filter((d) => d.userAgent === 'laptop' || d.userAgent === 'phone');
    expect(mine).toHaveLength(2);
    expect(devices.filter((d) => d.current).map((d) => d.userAgent)).toEqual(['laptop']);
    const phoneHandle = mine.find((d) => d.userAgent === 'phone')?.handle ?? '';

    expect(await laptop.send('DELETE', `/api/sessions/${encodeURIComponent(phoneHandle)}`)).toMatchObject({
      status: 204,
    });
    expect(await laptop.send('DELETE', `/api/sessions/${encodeURIComponent(phoneHandle)}`)).toMatchObject({
      status: 404,
      body: { error: 'not_found' },
    });
    expect(await phone.send('GET', '/api/sessions')).toMatchObject({ status: 401 });
    expect(phone.jar.get(SID)).toBeUndefined(); // the revoked cookie was cleared

    const out = await laptop.send('POST', '/api/logout');
    expect(out.status).toBe(204);
    expect(laptop.jar.get(SID)).toBeUndefined();
    expect(await laptop.state()).toMatchObject({ authenticated: false, userId: null });
    expect(await laptop.send('GET', '/api/sessions')).toMatchObject({ status: 401 });
  });
});
