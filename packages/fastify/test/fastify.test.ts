/** Fastify specifics: the commit in onSend, errors as JSON, encapsulation, the session's trustProxy. */
import {
  createSessionManager,
  MemoryStore,
  type SessionManager,
  type TrustProxy,
} from '@tessera/session-core';
import {
  CookieJar,
  type InstrumentedStore,
  instrumentStore,
  type TestServer,
} from '@tessera/session-testing';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tesseraSession } from '../src/index.js';
import { buildApp, listen } from './app.js';

/** A browser-like client: the pre-session CSRF token from GET /state, cookies kept by hand. */
async function visit(base: string) {
  const jar = new CookieJar();
  const first = await fetch(`${base}/state`);
  jar.absorb(first);
  const token = ((await first.json()) as { csrfToken: string }).csrfToken;
  const send = async (
    method: string,
    path: string,
    init: { json?: unknown; headers?: Record<string, string> },
  ) => {
    const headers: Record<string, string> = { 'x-csrf-token': token, ...init.headers };
    const cookie = jar.header();
    if (cookie) headers.cookie = cookie;
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    const body = init.json === undefined ? undefined : JSON.stringify(init.json);
    const res = await fetch(base + path, { method, headers, body, redirect: 'manual' });
    jar.absorb(res);
    return res;
  };
  return { jar, send };
}

const sidLines = (res: Response) => res.headers.getSetCookie().filter((l) => l.startsWith('__Host-sid='));

describe('fastify plugin', () => {
  let store: InstrumentedStore;
  let manager: SessionManager;
  let server: TestServer;
  beforeAll(async () => {
    store = instrumentStore(new MemoryStore({ warnInProduction: false }));
    manager = createSessionManager({ store });
    const app = await buildApp(manager, (a) => {
      a.post('/set-redirect', async (request, reply) => {
        request.session.set('step', 2);
        return reply.redirect('/state', 303);
      });
      // An anonymous session has no devices: the core throws 401 unauthenticated.
      a.get('/devices-unguarded', async (request) => request.session.listSessions());
      a.get('/boom', async () => {
        throw new Error('boom');
      });
      a.setErrorHandler((error: Error, _request, reply) => reply.code(418).send({ custom: error.message }));
    });
    server = await listen(app);
  });
  afterAll(async () => {
    await server?.close();
    await manager?.close();
  });

  it('a redirect after login carries the session cookie, and the next request is signed in', async () => {
    const b = await visit(server.url);
    const res = await b.send('POST', '/login-redirect', { json: { userId: 'ada' } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/state');
    expect(sidLines(res)).toHaveLength(1);
    const next = await b.send('GET', res.headers.get('location')!, {});
    expect(await next.json()).toMatchObject({ authenticated: true, userId: 'ada' });
  });

  it("a failed commit answers 503 session_store_unavailable and drops the handler's Location and cookie", async () => {
    const b = await visit(server.url);
    store.mode = 'reject';
    try {
      const res = await b.send('POST', '/set-redirect', {});
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ error: 'session_store_unavailable' });
      expect(res.headers.get('location')).toBeNull();
      expect(sidLines(res)).toEqual([]);
    } finally {
      store.mode = 'up';
    }
    const retried = await b.send('POST', '/set-redirect', {});
    expect(retried.status).toBe(303);
  });

  it("a SessionError from a handler is answered as JSON whatever the app's error handler; other errors reach it", async () => {
    const devices = await fetch(`${server.url}/devices-unguarded`);
    expect(devices.status).toBe(401);
    expect(await devices.json()).toEqual({ error: 'unauthenticated' });
    const boom = await fetch(`${server.url}/boom`);
    expect(boom.status).toBe(418);
    expect(await boom.json()).toEqual({ custom: 'boom' });
  });
});

describe('fastify plugin: encapsulation', () => {
  let manager: SessionManager;
  let server: TestServer;
  beforeAll(async () => {
    manager = createSessionManager({ store: new MemoryStore({ warnInProduction: false }) });
    const app = Fastify();
    await app.register(async (scoped) => {
      await scoped.register(tesseraSession, { manager });
      scoped.post('/in', async (request) => ({ session: request.session !== null }));
    });
    app.post('/out', async (request) => ({ session: request.session != null }));
    server = await listen(app);
  });
  afterAll(async () => {
    await server?.close();
    await manager?.close();
  });

  it('registered in one scope, the plugin loads sessions and enforces CSRF there only', async () => {
    const inside = await fetch(`${server.url}/in`, { method: 'POST' });
    expect(inside.status).toBe(403);
    expect(await inside.json()).toEqual({ error: 'csrf' });
    const outside = await fetch(`${server.url}/out`, { method: 'POST' });
    expect(outside.status).toBe(200);
    expect(await outside.json()).toEqual({ session: false });
    expect(outside.headers.get('cache-control')).toBeNull();
  });

  it('registering it twice in one scope fails at start-up', async () => {
    const app = Fastify();
    app.register(tesseraSession, { manager });
    app.register(tesseraSession, { manager });
    await expect(app.ready()).rejects.toThrow(/session/);
    await app.close();
  });
});

describe("fastify plugin: the session's trustProxy, not Fastify's", () => {
  const servers: TestServer[] = [];
  let manager: SessionManager;
  const start = async (trust: TrustProxy) => {
    const server = await listen(await buildApp(manager, undefined, trust));
    servers.push(server);
    return server;
  };
  beforeAll(() => {
    manager = createSessionManager({ store: new MemoryStore({ warnInProduction: false }) });
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await manager?.close();
  });

  // A TLS-terminating proxy in front: the browser's Origin is https, the socket is http.
  const behindTls = async (server: TestServer) => {
    const b = await visit(server.url);
    const origin = server.url.replace('http:', 'https:');
    return b.send('POST', '/set', {
      json: { key: 'k', value: 1 },
      headers: { origin, 'x-forwarded-proto': 'https' },
    });
  };

  it('X-Forwarded-Proto makes the https Origin same-origin only from a proxy trustProxy vouches for', async () => {
    expect((await behindTls(await start(1))).status).toBe(204);
    const untrusted = await behindTls(await start(false));
    expect(untrusted.status).toBe(403);
    // Fastify's own trustProxy (unset here in both apps) plays no part: the session's option decides.
    expect((await behindTls(await start((address) => address === '127.0.0.1'))).status).toBe(204);
    expect((await behindTls(await start(0))).status).toBe(403);
  });
});
