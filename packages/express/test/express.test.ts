/** Express specifics: the response is held until the commit, whatever sends it. */

import { request } from 'node:http';
import { createSessionManager, MemoryStore, type SessionManager } from '@tessera/session-core';
import { responseHeld } from '@tessera/session-core/node';
import type { TestServer } from '@tessera/session-testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { session } from '../src/index.js';
import { buildApp, cookieOf, listen, slowStore } from './app.js';

describe('express adapter', () => {
  const delay = { ms: 80, fail: false };
  let lateError = '';
  let manager: SessionManager;
  let server: TestServer;
  beforeAll(async () => {
    manager = createSessionManager({ store: slowStore(new MemoryStore({ warnInProduction: false }), delay) });
    const app = buildApp(manager, (a) => {
      a.get('/set-redirect', (req, res) => {
        req.session.set('step', 2);
        res.redirect(303, '/state');
      });
      a.get('/stream', (req, res) => {
        req.session.set('streamed', true);
        res.write('a');
        res.write('b');
        res.end('c');
      });
      a.get('/head-first', (req, res) => {
        req.session.set('k', 1);
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      });
      // Whether the response's methods are wrapped (the hold), before and after a change.
      a.get('/held', (req, res) => {
        const before = responseHeld(res);
        if (req.query.change) req.session.set('changed', true);
        res.json({ before, after: responseHeld(res) });
      });
      a.get('/change-after-send', (req, res) => {
        res.json({ sent: true });
        try {
          req.session.set('late', true);
          lateError = 'none';
        } catch (error) {
          lateError = (error as { code?: string }).code ?? String(error);
        }
      });
      // Answer, then fail or go on: Express's final handler tries a second response while the
      // first is held. Without the gate's guard the replay ended twice and the process exited.
      a.get('/send-then-throw', async (req, res) => {
        req.session.set('a', 1);
        res.status(200).json({ ok: true });
        throw new Error('after the answer');
      });
      a.get('/send-then-next', (req, res, next) => {
        req.session.set('a', 1);
        res.status(200).json({ ok: true });
        next();
      });
      a.post('/send-then-throw', async (req, res) => {
        req.session.set('a', 1);
        res.status(200).json({ ok: true });
        throw new Error('after the answer');
      });
      a.get('/write-head-headers', (req, res) => {
        req.session.set('a', 1);
        res.writeHead(200, { 'set-cookie': 'app=1', 'cache-control': 'public, max-age=3600' });
        res.end('ok');
      });
      a.get('/write-head-raw', (req, res) => {
        req.session.set('a', 1);
        res.writeHead(201, 'Made', ['set-cookie', 'app=2', 'x-app', 'yes']);
        res.end('ok');
      });
      a.get('/change-while-held', (req, res) => {
        req.session.set('a', 1);
        res.json({ sent: true });
        try {
          req.session.set('b', 2);
          lateError = 'none';
        } catch (error) {
          lateError = (error as { code?: string }).code ?? String(error);
        }
      });
      a.get('/express-session-api', async (req, res) => {
        req.session.set('n', 1);
        await req.session.save();
        const before = req.session.handle;
        await req.session.regenerate();
        res.json({ same: before === req.session.handle, n: req.session.get('n') });
      });
    });
    server = await listen(app);
  });
  afterAll(() => server.close());

  it('res.redirect after a write: the 303 carries the cookie and the next request sees the write', async () => {
    delay.fail = false;
    const r = await fetch(`${server.url}/set-redirect`, { redirect: 'manual' });
    expect(r.status).toBe(303);
    const cookie = cookieOf(r);
    expect(cookie).toMatch(/^__Host-sid=/);
    const next = await fetch(`${server.url}/state`, { headers: { cookie } });
    expect(((await next.json()) as { data: unknown }).data).toEqual({ step: 2 });
  });

  it.each([
    ['on the response itself (as compression does)', 'instance'],
    ['on a prototype it gave the response', 'prototype'],
  ])(
    'a middleware before session() that put its own res.end %s is still held, and still runs',
    async (_, where) => {
      const app = express();
      app.use((_req, res, next) => {
        const end = res.end;
        const own = function (this: typeof res, ...args: Parameters<typeof end>) {
          res.setHeader('x-wrapped', 'yes');
          return end.apply(this, args);
        } as typeof end;
        if (where === 'instance') res.end = own;
        else
          Object.setPrototypeOf(
            res,
            Object.assign(Object.create(Object.getPrototypeOf(res) as object), { end: own }),
          );
        next();
      });
      app.use(session({ manager }));
      app.get('/w', (req, res) => {
        req.session.set('w', 1);
        res.json({ held: responseHeld(res) });
      });
      const wrapped = await listen(app);
      try {
        const r = await fetch(`${wrapped.url}/w`);
        expect(await r.json()).toEqual({ held: true });
        expect(r.headers.get('x-wrapped')).toBe('yes');
        const cookie = cookieOf(r);
        expect(cookie).toMatch(/^__Host-sid=/);
        // The write was committed (80 ms late) before the answer left.
        const state = await fetch(`${server.url}/state`, { headers: { cookie } });
        expect(((await state.json()) as { data: unknown }).data).toEqual({ w: 1 });
      } finally {
        await wrapped.close();
      }
    },
  );

  it('res.write streaming and an explicit writeHead are held until the commit', async () => {
    for (const path of ['/stream', '/head-first']) {
      const r = await fetch(server.url + path);
      expect(r.status).toBe(200);
      expect(r.headers.getSetCookie()).toHaveLength(1);
      expect(await r.text()).toBe(path === '/stream' ? 'abc' : 'ok');
    }
  });

  it('a failing commit replaces the prepared redirect with 503 JSON', async () => {
    delay.fail = true;
    try {
      const r = await fetch(`${server.url}/set-redirect`, { redirect: 'manual' });
      expect(r.status).toBe(503);
      expect(r.headers.get('location')).toBeNull();
      expect(r.headers.getSetCookie()).toEqual([]);
      expect(await r.json()).toEqual({ error: 'session_store_unavailable' });
    } finally {
      delay.fail = false;
    }
  });

  it('holds the response only once the session has something to commit', async () => {
    const first = await fetch(`${server.url}/held?change=1`);
    expect(await first.json()).toEqual({ before: false, after: true });
    const cookie = cookieOf(first);
    expect(cookie).toMatch(/^__Host-sid=/);
    // Reading an existing session wraps nothing; changing it does, and the change is kept.
    const read = await fetch(`${server.url}/held`, { headers: { cookie } });
    expect(await read.json()).toEqual({ before: false, after: false });
    expect(read.headers.getSetCookie()).toEqual([]);
    const state = await fetch(`${server.url}/state`, { headers: { cookie } });
    expect(((await state.json()) as { data: unknown }).data).toEqual({ changed: true });
    // A stale cookie must be cleared: loading produced a header, so the hold is there at once.
    const stale = await fetch(`${server.url}/held`, { headers: { cookie: `__Host-sid=${'A'.repeat(43)}` } });
    expect(await stale.json()).toEqual({ before: true, after: true });
    expect(stale.headers.getSetCookie()[0]).toMatch(/Max-Age=0/);
  });

  it('a change after the response has gone is refused (invalid_state), not silently lost', async () => {
    const r = await fetch(`${server.url}/change-after-send`);
    expect(await r.json()).toEqual({ sent: true });
    expect(r.headers.getSetCookie()).toEqual([]);
    expect(lateError).toBe('invalid_state');
  });

  it('a second response while the first is held (throw or next() after res.json) is dropped; the first goes out', async () => {
    for (const path of ['/send-then-throw', '/send-then-next']) {
      const r = await fetch(server.url + path, { headers: { connection: 'close' } });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await r.text()).toBe('{"ok":true}');
      const cookie = cookieOf(r);
      const state = await fetch(`${server.url}/state`, { headers: { cookie } });
      expect(((await state.json()) as { data: unknown }).data).toEqual({ a: 1 });
    }
  });

  it('the same with a request body nobody reads: the final handler answering after the replay is ignored', async () => {
    // finalhandler waits for the body, then sets headers on a response that has gone (Node
    // throws ERR_HTTP_HEADERS_SENT from an event callback: the process would exit).
    // The pre-session CSRF pair, so the POST reaches its handler.
    const first = await fetch(`${server.url}/state`);
    const token = ((await first.json()) as { csrfToken: string }).csrfToken;
    const cookie = first.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; ');
    const answer = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${server.url}/send-then-throw`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream', cookie, 'x-csrf-token': token },
        },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(`${res.statusCode} ${body}`));
        },
      );
      req.on('error', reject);
      req.write(Buffer.alloc(64 * 1024));
      setTimeout(() => req.end(Buffer.alloc(1024 * 1024)), 250);
    });
    expect(answer).toBe('200 {"ok":true}');
    await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`${server.url}/state`)).status).toBe(200);
  });

  it("writeHead(status, headers) keeps the session's Set-Cookie and Cache-Control: no-store", async () => {
    const r = await fetch(`${server.url}/write-head-headers`);
    expect(r.status).toBe(200);
    const cookies = r.headers.getSetCookie().map((c) => c.split('=')[0]);
    expect(cookies.sort()).toEqual(['__Host-sid', 'app']);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const raw = await fetch(`${server.url}/write-head-raw`);
    expect([raw.status, raw.statusText, raw.headers.get('x-app')]).toEqual([201, 'Made', 'yes']);
    expect(
      raw.headers
        .getSetCookie()
        .map((c) => c.split('=')[0])
        .sort(),
    ).toEqual(['__Host-sid', 'app']);
  });

  it('a change while the response is held for the commit is refused (invalid_state), not lost', async () => {
    const r = await fetch(`${server.url}/change-while-held`);
    expect(await r.json()).toEqual({ sent: true });
    expect(lateError).toBe('invalid_state');
    const state = await fetch(`${server.url}/state`, { headers: { cookie: cookieOf(r) } });
    expect(((await state.json()) as { data: unknown }).data).toEqual({ a: 1 });
  });

  it('save() and regenerate() are promise-returning, express-session style', async () => {
    const r = await fetch(`${server.url}/express-session-api`);
    expect(await r.json()).toEqual({ same: false, n: 1 });
  });

  it('trustProxy: 1 takes the client IP from the nearest X-Forwarded-For hop', async () => {
    const trusted = buildApp(
      manager,
      (a) =>
        a.get('/who', async (req, res) => {
          await req.session.login('u-trust');
          res.json((await req.session.listSessions())[0]);
        }),
      1,
    );
    const s = await listen(trusted);
    try {
      const r = await fetch(`${s.url}/who`, { headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' } });
      expect(((await r.json()) as { ip: string }).ip).toBe('203.0.113.7');
    } finally {
      await s.close();
    }
  });

  it("regression (#17): the CSRF origin follows the session's trustProxy, not Express's `trust proxy`", async () => {
    // Express trusts every proxy here; the session does not (its default): a client-written
    // X-Forwarded-Proto must not make `https://host` pass as this http server's own origin.
    const m = createSessionManager({ store: new MemoryStore({ warnInProduction: false }) });
    const app = buildApp(m, (a) => a.set('trust proxy', true));
    const s = await listen(app);
    try {
      const first = await fetch(`${s.url}/state`);
      const token = ((await first.json()) as { csrfToken: string }).csrfToken;
      const host = new URL(s.url).host;
      const post = (headers: Record<string, string>) =>
        fetch(`${s.url}/set`, {
          method: 'POST',
          headers: {
            cookie: cookieOf(first),
            'x-csrf-token': token,
            'content-type': 'application/json',
            ...headers,
          },
          body: JSON.stringify({ key: 'k', value: 1 }),
        });
      expect((await post({ origin: `https://${host}`, 'x-forwarded-proto': 'https' })).status).toBe(403);
      expect((await post({ origin: `http://${host}` })).status).toBe(204);
    } finally {
      await s.close();
    }
  });

  it('an invalid trustProxy is refused at construction', () => {
    expect(() => session({ manager, trustProxy: -1 })).toThrow(/trustProxy/);
  });
});
