/**
 * The demo's HTTP API as a contract checked from outside, over real HTTP, against each of the
 * framework wirings (NestJS on both its platforms): the same requests must get the same
 * statuses and JSON shapes.
 */
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig, sessionOptions } from '../src/config.js';
import { Client, type RunningDemo, startDemo, WIRINGS } from './demo.js';

const SID = '__Host-sid';

describe.each(WIRINGS)('demo API on %s', (framework) => {
  let demo: RunningDemo;
  let base: string;
  beforeAll(async () => {
    demo = await startDemo(framework);
    // Loopback literal: no dependence on how this machine resolves "localhost".
    base = demo.url.replace('//localhost:', '//127.0.0.1:');
  });
  afterAll(() => demo?.close());

  it('GET /api/session answers the anonymous shape', async () => {
    const c = new Client(base);
    const s = await c.state();
    expect(s).toEqual({
      authenticated: false,
      userId: null,
      csrfToken: expect.any(String),
      counter: 0,
      createdAt: null,
      expiresAt: null,
    });
    expect(s.csrfToken.length).toBeGreaterThan(20);
  });

  it('serves the login page with the pre-session CSRF token', async () => {
    const c = new Client(base);
    const r = await c.send('GET', '/');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    const token = /<meta name="csrf-token" content="([^"]+)">/.exec(String(r.body))?.[1];
    expect(token).toBeTruthy();
    expect((await c.state()).csrfToken).toBe(token);
  });

  it('login: 403 csrf without the token, 401 on a wrong password', async () => {
    const c = new Client(base);
    await c.state();
    const noToken = await c.send(
      'POST',
      '/api/login',
      { username: 'alice', password: 'wonderland' },
      {
        'x-csrf-token': '',
      },
    );
    expect(noToken).toMatchObject({ status: 403, body: { error: 'csrf' } });
    const wrong = await c.send('POST', '/api/login', { username: 'alice', password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: expect.any(String) });
    expect((await c.state()).authenticated).toBe(false);
  });

  it('login: 200 { userId } with the pre-session token, the session token rotated, nothing carried', async () => {
    const c = new Client(base);
    await c.state();
    expect(await c.send('POST', '/api/counter')).toMatchObject({ status: 200, body: { counter: 1 } });
    expect(await c.send('PUT', '/api/notes/returnTo', { value: '/planted' })).toMatchObject({ status: 204 });
    const before = c.jar.get(SID);
    expect(before).toBeTruthy();
    const r = await c.send('POST', '/api/login', { username: 'alice', password: 'wonderland' });
    expect(r).toMatchObject({ status: 200, body: { userId: 'alice' } });
    const after = c.jar.get(SID);
    expect(after).toBeTruthy();
    expect(after).not.toBe(before);
    const s = await c.state();
    // The demo keeps keepDataOnLogin's default: what the anonymous session held stays behind.
    expect(s).toMatchObject({ authenticated: true, userId: 'alice', counter: 0 });
    expect((await c.send('GET', '/api/notes')).body).toEqual({});
    expect(s.createdAt).toEqual(expect.any(Number));
    expect(s.expiresAt).toBeGreaterThan(Date.now());
    // The pre-login cookie is dead: it neither signs in nor carries the data.
    const old = new Client(base);
    old.jar.set(SID, before ?? '');
    expect(await old.state()).toMatchObject({ authenticated: false, userId: null, counter: 0 });
    // Signing in again rotates again: the previous signed-in cookie stops authenticating.
    expect((await c.send('POST', '/api/login', { username: 'alice', password: 'wonderland' })).status).toBe(
      200,
    );
    expect(c.jar.get(SID)).not.toBe(after);
    const stale = new Client(base);
    stale.jar.set(SID, after ?? '');
    expect(await stale.send('GET', '/api/protected')).toMatchObject({ status: 401 });
    expect(await c.send('GET', '/api/protected')).toMatchObject({ status: 200, body: { userId: 'alice' } });
  });

  it('POST /api/counter counts, and needs the CSRF token', async () => {
    const c = new Client(base);
    await c.login('bob', 'builder');
    await c.state();
    for (const n of [1, 2, 3])
      expect(await c.send('POST', '/api/counter')).toMatchObject({ status: 200, body: { counter: n } });
    expect(await c.send('POST', '/api/counter', undefined, { 'x-csrf-token': 'forged' })).toMatchObject({
      status: 403,
      body: { error: 'csrf' },
    });
    expect((await c.state()).counter).toBe(3);
  });

  it('50 parallel PUT /api/notes/:key lose nothing', async () => {
    const c = new Client(base);
    await c.login('alice', 'wonderland');
    await c.state();
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    const puts = await Promise.all(keys.map((k) => c.send('PUT', `/api/notes/${k}`, { value: `v-${k}` })));
    expect(puts.map((r) => r.status)).toEqual(keys.map(() => 204));
    const notes = await c.send('GET', '/api/notes');
    expect(notes.status).toBe(200);
    expect(notes.body).toEqual(Object.fromEntries(keys.map((k) => [k, `v-${k}`])));
  });

  it('GET /api/protected: 401 signed out, 200 { userId } signed in', async () => {
    const c = new Client(base);
    expect(await c.send('GET', '/api/protected')).toMatchObject({
      status: 401,
      body: { error: 'unauthenticated' },
    });
    await c.login('bob', 'builder');
    expect(await c.send('GET', '/api/protected')).toMatchObject({ status: 200, body: { userId: 'bob' } });
  });

  it('devices: list, revoke one (the other is signed out), revoke others, log out', async () => {
    const laptop = new Client(base, 'laptop');
    const phone = new Client(base, 'phone');
    const tablet = new Client(base, 'tablet');
    expect(await laptop.send('GET', '/api/sessions')).toMatchObject({ status: 401 });
    for (const c of [laptop, phone, tablet]) expect((await c.login('alice', 'wonderland')).status).toBe(200);
    await laptop.state();

    const list = await laptop.send('GET', '/api/sessions');
    expect(list.status).toBe(200);
    const devices = list.body as Array<Record<string, unknown>>;
    const mine = devices.filter((d) => ['laptop', 'phone', 'tablet'].includes(String(d.userAgent)));
    expect(mine).toHaveLength(3);
    for (const d of devices) {
      expect(Object.keys(d).sort()).toEqual([
        'createdAt',
        'current',
        'handle',
        'ip',
        'lastSeenAt',
        'userAgent',
      ]);
      expect(d).toMatchObject({
        handle: expect.any(String),
        createdAt: expect.any(Number),
        current: expect.any(Boolean),
      });
    }
    expect(devices.filter((d) => d.current).map((d) => d.userAgent)).toEqual(['laptop']);
    const phoneHandle = String(mine.find((d) => d.userAgent === 'phone')?.handle);

    const revoked = await laptop.send('DELETE', `/api/sessions/${encodeURIComponent(phoneHandle)}`);
    expect(revoked.status).toBe(204);
    expect(await phone.send('GET', '/api/protected')).toMatchObject({ status: 401 });
    expect(await tablet.send('GET', '/api/protected')).toMatchObject({ status: 200 });

    const others = await laptop.send('POST', '/api/sessions/revoke-others');
    expect(others.status).toBe(200);
    expect(others.body).toEqual({ revoked: expect.any(Number) });
    expect((others.body as { revoked: number }).revoked).toBeGreaterThanOrEqual(1);
    expect(await tablet.send('GET', '/api/protected')).toMatchObject({ status: 401 });
    const left = (await laptop.send('GET', '/api/sessions')).body as unknown[];
    expect(left).toHaveLength(1);

    const out = await laptop.send('POST', '/api/logout');
    expect(out.status).toBe(204);
    expect(out.body).toBe('');
    expect(await laptop.state()).toMatchObject({ authenticated: false, userId: null });
    expect(await laptop.send('GET', '/api/protected')).toMatchObject({ status: 401 });
  });

  it('bodies: malformed JSON reads as none, over 16 KiB is 413 { error: "body_too_large" }', async () => {
    const c = new Client(base);
    await c.state();
    const raw = (path: string, method: string, text: string) =>
      c.send(method, path, undefined, { 'content-type': 'application/json', body: text });
    expect(await raw('/api/login', 'POST', '{"username":')).toMatchObject({ status: 401 });
    expect(await raw('/api/notes/a', 'PUT', 'not json')).toMatchObject({
      status: 400,
      body: { error: 'bad_note' },
    });
    const big = JSON.stringify({ value: 'x'.repeat(20_000) });
    expect(await raw('/api/notes/a', 'PUT', big)).toMatchObject({
      status: 413,
      body: { error: 'body_too_large' },
    });
    // On every route, also one that reads no body; the change does not happen.
    expect(await raw('/api/counter', 'POST', big)).toMatchObject({
      status: 413,
      body: { error: 'body_too_large' },
    });
    expect(await c.state()).toMatchObject({ counter: 0 });
    expect(await c.send('PUT', '/api/notes/a', { value: 'fine' })).toMatchObject({ status: 204 });
    expect((await c.send('GET', '/api/notes')).body).toEqual({ a: 'fine' });
  });

  it('notes: any valid key comes back, "__proto__" and "constructor" included', async () => {
    const c = new Client(base);
    await c.state();
    for (const key of ['__proto__', 'constructor', 'toString'])
      expect(await c.send('PUT', `/api/notes/${key}`, { value: `v-${key}` })).toMatchObject({ status: 204 });
    const notes = (await c.send('GET', '/api/notes')).body as Record<string, string>;
    expect(Object.keys(notes).sort()).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getOwnPropertyDescriptor(notes, '__proto__')?.value).toBe('v-__proto__');
  });

  it('a path segment that does not decode is a bad key or an unknown handle, never a 500 or a stack trace', async () => {
    const c = new Client(base);
    await c.login('alice', 'wonderland');
    await c.state(); // the CSRF token rotated at login
    expect(await c.send('PUT', '/api/notes/%FF', { value: 'x' })).toMatchObject({
      status: 400,
      body: { error: 'bad_note' },
    });
    expect(await c.send('DELETE', '/api/sessions/%00%FF')).toMatchObject({
      status: 404,
      body: { error: 'not_found' },
    });
    expect(await c.send('DELETE', '/api/sessions/a%2')).toMatchObject({
      status: 404,
      body: { error: 'not_found' },
    });
  });

  it("every answer says Cache-Control: no-store, signed in or not (a cache must not keep one user's page)", async () => {
    const c = new Client(base);
    const seen: [string, string | null][] = [];
    const check = async (method: string, path: string, json?: unknown) => {
      const r = await c.send(method, path, json);
      seen.push([`${method} ${path} ${r.status}`, r.headers.get('cache-control')]);
      return r;
    };
    await check('GET', '/');
    await c.state();
    await check('POST', '/api/login', { username: 'bob', password: 'builder' });
    await c.state();
    for (const path of ['/', '/api/session', '/api/protected', '/api/sessions', '/api/notes'])
      await check('GET', path);
    await check('POST', '/api/counter');
    await check('PUT', '/api/notes/a', { value: 'x' });
    await check('POST', '/api/logout');
    await check('GET', '/api/session');
    expect(seen.filter(([, cc]) => cc !== 'no-store')).toEqual([]);
    expect(seen).toHaveLength(11);
  });

  it('503 { error: "session_store_unavailable" } while the store is down', async () => {
    const c = new Client(base);
    await c.login('bob', 'builder');
    demo.store.mode = 'reject';
    try {
      expect(await c.send('GET', '/api/session')).toMatchObject({
        status: 503,
        body: { error: 'session_store_unavailable' },
      });
    } finally {
      demo.store.mode = 'up';
    }
    expect(await c.send('GET', '/api/protected')).toMatchObject({ status: 200, body: { userId: 'bob' } });
  });
});

describe.each(WIRINGS)('demo API on %s at the session cap with onLimit=reject', (framework) => {
  let demo: RunningDemo;
  beforeAll(async () => {
    demo = await startDemo(framework, { maxSessionsPerUser: 1, onLimit: 'reject' });
  });
  afterAll(() => demo?.close());

  it('answers 409 { error } to a login past the cap', async () => {
    const base = demo.url.replace('//localhost:', '//127.0.0.1:');
    expect((await new Client(base).login('alice', 'wonderland')).status).toBe(200);
    const second = await new Client(base).login('alice', 'wonderland');
    expect(second.status).toBe(409);
    expect(second.body).toEqual({ error: expect.any(String) });
    expect((await new Client(base).login('bob', 'builder')).status).toBe(200);
  });
});

describe.each(['express', 'nestjs'] as const)('demo API on %s: body-parser refusals', (framework) => {
  let demo: RunningDemo;
  let base: string;
  beforeAll(async () => {
    demo = await startDemo(framework);
    base = demo.url.replace('//localhost:', '//127.0.0.1:');
  });
  afterAll(() => demo?.close());

  /** PUT /api/notes/a with a raw body, past CSRF (the body is parsed after it). */
  const put = async (body: BodyInit, headers: Record<string, string>) => {
    const c = new Client(base);
    await c.state();
    const res = await fetch(`${base}/api/notes/a`, {
      method: 'PUT',
      headers: { cookie: c.jar.header() ?? '', 'x-csrf-token': c.csrf, ...headers },
      body,
    });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  const json = 'application/json';
  const note = JSON.stringify({ value: 'v' });

  it.each([
    [
      'an unknown Content-Encoding',
      415,
      'unsupported_content_encoding',
      note,
      { 'content-encoding': 'x-evil' },
    ],
    [
      'a charset JSON cannot be',
      415,
      'unsupported_charset',
      note,
      { 'content-type': `${json}; charset=ebcdic-cp-us` },
    ],
    [
      'gzip that does not inflate',
      400,
      'bad_body',
      new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3]),
      { 'content-encoding': 'gzip' },
    ],
    [
      'gzip inflating past 16 KiB',
      413,
      'body_too_large',
      gzipSync(JSON.stringify({ value: 'x'.repeat(100_000) })),
      { 'content-encoding': 'gzip' },
    ],
  ] as const)(
    '%s: JSON %i { error: "%s" }, never an HTML error page (issue #13.6)',
    async (_, status, error, body, headers) => {
      const r = await put(body, { 'content-type': json, ...headers });
      expect(r).toEqual({
        status,
        type: expect.stringMatching(/^application\/json/),
        text: JSON.stringify({ error }),
      });
    },
  );

  it('a body the parser can read (gzip, brotli) still works', async () => {
    const headers = { 'content-type': json };
    expect((await put(gzipSync(note), { ...headers, 'content-encoding': 'gzip' })).status).toBe(204);
    expect((await put(brotliCompressSync(note), { ...headers, 'content-encoding': 'br' })).status).toBe(204);
  });
});

describe.each(WIRINGS)('demo API on %s with SESSION_MAX_DATA_BYTES=3000, SESSION_MAX_KEYS=4', (framework) => {
  let demo: RunningDemo;
  beforeAll(async () => {
    const config = readConfig({ SESSION_MAX_DATA_BYTES: '3000', SESSION_MAX_KEYS: '4' });
    expect(sessionOptions(config)).toEqual({ maxDataBytes: 3_000, maxKeys: 4 });
    demo = await startDemo(framework, sessionOptions(config));
  });
  afterAll(() => demo?.close());

  it('PUT /api/notes/:key past a limit answers 413 { error: "session_too_large" } and the notes stay as they were', async () => {
    const c = new Client(demo.url.replace('//localhost:', '//127.0.0.1:'));
    await c.state();
    const long = (ch: string) => ch.repeat(1_000);
    // Each long note is 1,009 bytes ("note:a" and its JSON text): two fit in 3,000, a third does not.
    for (const key of ['a', 'b'])
      expect((await c.send('PUT', `/api/notes/${key}`, { value: long(key) })).status).toBe(204);
    const bytes = await c.send('PUT', '/api/notes/c', { value: long('c') });
    expect(bytes).toMatchObject({ status: 413, body: { error: 'session_too_large' } });
    expect((await c.send('GET', '/api/notes')).body).toEqual({ a: long('a'), b: long('b') });
    // Small notes fit the bytes, but a fifth key does not.
    for (const key of ['c', 'd'])
      expect((await c.send('PUT', `/api/notes/${key}`, { value: key })).status).toBe(204);
    const keys = await c.send('PUT', '/api/notes/e', { value: 'e' });
    expect(keys).toMatchObject({ status: 413, body: { error: 'session_too_large' } });
    expect((await c.send('GET', '/api/notes')).body).toEqual({
      a: long('a'),
      b: long('b'),
      c: 'c',
      d: 'd',
    });
    // Replacing a note (same key) within the bytes is still fine.
    expect((await c.send('PUT', '/api/notes/a', { value: 'short' })).status).toBe(204);
  });
});

describe.each(WIRINGS)('demo API on %s: the login throttle (issue #18)', (framework) => {
  it('5 failures for one username: 429 too_many_attempts with Retry-After, right password or not; other usernames still log in; 503 while the store is down', async () => {
    // Its own demo with the defaults (5 failures): the other suites sign alice in many times.
    const demo = await startDemo(framework);
    try {
      const base = demo.url.replace('//localhost:', '//127.0.0.1:');
      const c = new Client(base);
      for (let i = 0; i < 5; i++) {
        expect(await c.login('alice', `wrong-${i}`)).toMatchObject({
          status: 401,
          body: { error: 'invalid_credentials' },
        });
      }
      for (const password of ['wrong', 'wonderland']) {
        const refused = await c.login('alice', password);
        expect(refused).toMatchObject({ status: 429, body: { error: 'too_many_attempts' } });
        expect(refused.headers.get('retry-after')).toBe('60');
        expect(refused.headers.get('cache-control')).toBe('no-store');
      }
      // The same account however it is spelled.
      expect((await c.login(' ALICE ', 'wonderland')).status).toBe(429);
      const bob = new Client(base);
      expect(await bob.login('bob', 'builder')).toMatchObject({ status: 200, body: { userId: 'bob' } });
      // Fail closed: no password is checked while the throttle cannot count.
      const other = new Client(base);
      await other.state();
      demo.store.mode = 'reject';
      try {
        expect(
          await other.send('POST', '/api/login', { username: 'bob', password: 'builder' }),
        ).toMatchObject({
          status: 503,
          body: { error: 'session_store_unavailable' },
        });
      } finally {
        demo.store.mode = 'up';
      }
    } finally {
      await demo.close();
    }
  });
});

describe('SESSION_LOGIN_* settings', () => {
  it('default to 5 failures, a 15 min window and 50 failures per address; bad values stop the start', () => {
    expect(readConfig({})).toMatchObject({
      loginMaxFailures: 5,
      loginWindowMs: 900_000,
      loginIpMaxFailures: 50,
    });
    expect(
      readConfig({
        SESSION_LOGIN_MAX_FAILURES: '3',
        SESSION_LOGIN_WINDOW_MS: '60000',
        SESSION_LOGIN_IP_MAX_FAILURES: '20',
      }),
    ).toMatchObject({ loginMaxFailures: 3, loginWindowMs: 60_000, loginIpMaxFailures: 20 });
    expect(() => readConfig({ SESSION_LOGIN_MAX_FAILURES: '0' })).toThrow(/SESSION_LOGIN_MAX_FAILURES/);
  });
});
