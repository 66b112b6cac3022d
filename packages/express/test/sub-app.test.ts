/**
 * Regression: a session change made before a mounted Express sub-app answered was never
 * committed. The hold was a prototype given to the response, and Express gives the response
 * the sub-app's own prototype when the request enters it: the sub-app's `res.json()` went
 * straight out, with no Set-Cookie, and the change was lost.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSessionManager, MemoryStore } from '@tessera/session-core';
import { responseHeld } from '@tessera/session-core/node';
import type { TestServer } from '@tessera/session-testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { session } from '../src/index.js';
import { cookieOf, listen, slowStore } from './app.js';

describe('express adapter: mounted sub-apps', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Every write takes 50 ms: a response that did not wait for the commit would be out first.
    const store = slowStore(new MemoryStore({ warnInProduction: false }), { ms: 50, fail: false });
    const manager = createSessionManager({ store, cookie: { secure: false }, csrf: { enabled: false } });
    const app = express();
    app.use(session({ manager }));
    // A change made by the parent app, before the request enters a sub-app.
    app.use((req, _res, next) => {
      if (req.query.mark !== undefined) req.session.set('mark', String(req.query.mark));
      next();
    });
    const sub = express();
    sub.get('/json', (req, res) => void res.json({ mark: req.session.get('mark') ?? null }));
    sub.get('/redirect', (_req, res) => res.redirect(303, '/state'));
    sub.get('/own', (req, res) => {
      req.session.set('own', true);
      res.json({ ok: true });
    });
    const nested = express();
    nested.get('/json', (req, res) => void res.json({ mark: req.session.get('mark') ?? null }));
    sub.use('/nested', nested);
    app.use('/sub', sub);
    app.get('/state', (req, res) => void res.json(req.session.toJSON()));
    server = await listen(app);
  });
  afterAll(() => server?.close());

  it('a change before the sub-app answers with res.json is committed: its cookie is on the response', async () => {
    const res = await fetch(`${server.url}/sub/json?mark=a`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ mark: 'a' });
    const cookie = cookieOf(res);
    expect(cookie).toMatch(/^sid=/);
    expect(await (await fetch(`${server.url}/state`, { headers: { cookie } })).json()).toEqual({ mark: 'a' });
  });

  it('on an existing session, a change before a sub-app redirect is saved before the 303 leaves', async () => {
    const first = await fetch(`${server.url}/sub/json?mark=one`);
    const cookie = cookieOf(first);
    const res = await fetch(`${server.url}/sub/redirect?mark=two`, {
      headers: { cookie },
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    // The redirect's target is read at once: the change must already be in the store.
    expect(await (await fetch(`${server.url}/state`, { headers: { cookie } })).json()).toEqual({
      mark: 'two',
    });
  });

  it('through two levels of sub-apps, and for a change made inside the sub-app itself', async () => {
    const res = await fetch(`${server.url}/sub/nested/json?mark=deep`);
    const cookie = cookieOf(res);
    expect(cookie).toMatch(/^sid=/);
    expect(await (await fetch(`${server.url}/state`, { headers: { cookie } })).json()).toEqual({
      mark: 'deep',
    });
    const own = await fetch(`${server.url}/sub/own`, { headers: { cookie } });
    expect(await own.json()).toEqual({ ok: true });
    expect(await (await fetch(`${server.url}/state`, { headers: { cookie } })).json()).toEqual({
      mark: 'deep',
      own: true,
    });
  });

  it('a plain Node server in the same process answers as before (nothing held)', async () => {
    let held: boolean | undefined;
    const plain = createServer((_req, res) => {
      res.setHeader('x-plain', '1');
      res.writeHead(201, { 'content-type': 'text/plain' });
      res.write('a');
      res.end('b');
      held = responseHeld(res);
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const { port } = plain.address() as AddressInfo;
    const answer = await new Promise<{ status?: number; header?: string; body: string }>(
      (resolve, reject) => {
        request({ port, host: '127.0.0.1', path: '/' }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c));
          res.on('end', () =>
            resolve({ status: res.statusCode, header: res.headers['x-plain'] as string, body }),
          );
        })
          .on('error', reject)
          .end();
      },
    );
    plain.close();
    expect(answer).toEqual({ status: 201, header: '1', body: 'ab' });
    expect(held).toBe(false);
  });
});
