/** Hono specifics: web-standard only, typed Variables, client IP sources, handler errors. */
import { getConnInfo } from '@hono/node-server/conninfo';
import { createSessionManager, MemoryStore, type SessionManager } from '@tessera/session-core';
import { instrumentStore, type TestServer } from '@tessera/session-testing';
import { Hono } from 'hono';
import { stream, streamSSE } from 'hono/streaming';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type SessionEnv, session } from '../src/index.js';
import { buildApp, listen } from './app.js';

/** Typed through the generic, no `any`: `get('visits')` is `number | undefined`. */
interface Counter {
  visits: number;
}

describe('hono adapter', () => {
  let manager: SessionManager;
  beforeAll(() => {
    manager = createSessionManager({ store: new MemoryStore({ warnInProduction: false }) });
  });
  afterAll(() => manager.close());

  it('runs without Node bindings (app.request): no IP, no crash, cookies still work', async () => {
    const app = new Hono<SessionEnv<Counter>>();
    app.use(session<Counter>({ store: new MemoryStore({ warnInProduction: false }) }));
    app.get('/count', (c) => {
      const s = c.get('session');
      const visits = (s.get('visits') ?? 0) + 1;
      s.set('visits', visits);
      return c.json({ visits });
    });
    const first = await app.request('/count');
    expect(await first.json()).toEqual({ visits: 1 });
    const cookie = first.headers.getSetCookie()[0]!.split(';')[0]!;
    const second = await app.request('/count', { headers: { cookie } });
    expect(await second.json()).toEqual({ visits: 2 });
  });

  it('reads the socket peer on @hono/node-server without getConnInfo; trustProxy walks X-Forwarded-For', async () => {
    const who = async (trustProxy: number | false) => {
      const app = buildApp(manager, { trustProxy });
      app.get('/who', async (c) => {
        await c.get('session').login(`u-${String(trustProxy)}`);
        return c.json((await c.get('session').listSessions())[0]);
      });
      const s = await listen(app);
      try {
        const r = await fetch(`${s.url}/who`, {
          headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' },
        });
        return ((await r.json()) as { ip: string }).ip;
      } finally {
        await s.close();
      }
    };
    expect(await who(false)).toBe('127.0.0.1');
    expect(await who(1)).toBe('203.0.113.7');
    expect(await who(2)).toBe('198.51.100.1');
  });

  it('a handler error keeps the app status; a SessionError gets its own', async () => {
    const app = buildApp(manager, { getConnInfo });
    app.get('/boom', () => {
      throw new Error('handler failed');
    });
    app.get('/revoke', async (c) => c.json(await c.get('session').revokeOtherSessions()));
    const s = await listen(app);
    try {
      const boom = await fetch(`${s.url}/boom`);
      expect(boom.status).toBe(500);
      expect(await boom.json()).toEqual({ error: 'internal' });
      const anon = await fetch(`${s.url}/revoke`);
      expect(anon.status).toBe(401);
      expect(await anon.json()).toEqual({ error: 'unauthenticated' });
    } finally {
      await s.close();
    }
  });

  it('session headers reach every kind of response, immutable ones included', async () => {
    const app = new Hono<SessionEnv>();
    // Bare POSTs with no token: this case is about headers, not CSRF.
    app.use(session({ store: new MemoryStore({ warnInProduction: false }), csrf: { enabled: false } }));
    app.post('/json', async (c) => {
      await c.get('session').login('u-json');
      return c.json({ ok: true });
    });
    // Response.redirect() has immutable headers: the adapter must copy it, not throw.
    app.post('/redirect', async (c) => {
      await c.get('session').login('u-redirect');
      return Response.redirect('http://localhost/next', 303);
    });
    app.post('/text', async (c) => {
      c.header('set-cookie', 'theme=dark; Path=/');
      c.get('session').set('n', 1);
      return c.text('ok');
    });
    const server = await listen(app);
    try {
      for (const path of ['/json', '/redirect', '/text']) {
        const r = await fetch(server.url + path, { method: 'POST', redirect: 'manual' });
        const cookies = r.headers.getSetCookie();
        expect(
          cookies.some((line) => line.startsWith('__Host-sid=')),
          path,
        ).toBe(true);
        expect(r.headers.get('cache-control'), path).toBe('no-store');
        if (path === '/redirect') expect(r.headers.get('location')).toBe('http://localhost/next');
        if (path === '/text') expect(cookies).toContain('theme=dark; Path=/');
      }
    } finally {
      await server.close();
    }
  });

  it('an invalid trustProxy is refused at construction', () => {
    expect(() => session({ manager, trustProxy: Number.NaN })).toThrow(/trustProxy/);
  });
});

describe('hono adapter: failed commits and handler errors after a change', () => {
  const store = instrumentStore(new MemoryStore({ warnInProduction: false }));
  const manager = createSessionManager({ store });
  const cleanup: Record<string, boolean> = {};
  let server: TestServer;

  beforeAll(async () => {
    const app = buildApp(manager);
    app.get('/stream', (c) => {
      c.get('session').set('s', 1);
      return stream(c, async (s) => {
        try {
          for (let i = 0; i < 5; i++) await s.write(`chunk ${i}\n`);
        } finally {
          cleanup.stream = true; // a cursor or file handle closed
        }
      });
    });
    app.get('/sse', (c) => {
      c.get('session').set('s', 1);
      return streamSSE(c, async (s) => {
        try {
          for (let i = 0; i < 5; i++) await s.writeSSE({ data: `event ${i}` });
        } finally {
          cleanup.sse = true;
        }
      });
    });
    app.get('/body', (c) => {
      c.get('session').set('s', 1);
      let i = 0;
      const body = new ReadableStream<Uint8Array>({
        pull: (controller) => controller.enqueue(new TextEncoder().encode(`chunk ${i++}\n`)),
        cancel: () => {
          cleanup.body = true;
        },
      });
      return c.body(body);
    });
    app.get('/throw-after-set', (c) => {
      c.get('session').set('thrown', 1);
      throw new Error('handler failed');
    });
    app.get('/session-error-after-set', async (c) => {
      c.get('session').set('thrown', 2);
      return c.json(await c.get('session').revokeOtherSessions()); // anonymous: 401 unauthenticated
    });
    server = await listen(app);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    store.mode = 'up';
  });

  it('a failed commit over a streamed response answers 503 and cancels the stream: its producer cleans up', async () => {
    store.mode = 'reject';
    for (const path of ['/stream', '/sse', '/body'] as const) {
      const r = await fetch(server.url + path);
      expect(r.status, path).toBe(503);
      expect(await r.json(), path).toEqual({ error: 'session_store_unavailable' });
      expect(r.headers.getSetCookie(), path).toEqual([]);
    }
    await vi.waitFor(() => expect(cleanup).toEqual({ stream: true, sse: true, body: true }));
  });

  it('a handler that throws after a change: the change is committed, the error response carries the session cookie', async () => {
    for (const [path, status, body, data] of [
      ['/throw-after-set', 500, { error: 'internal' }, { thrown: 1 }],
      ['/session-error-after-set', 401, { error: 'unauthenticated' }, { thrown: 2 }],
    ] as const) {
      const r = await fetch(server.url + path);
      expect(r.status, path).toBe(status);
      expect(await r.json(), path).toEqual(body);
      const cookie = r.headers
        .getSetCookie()
        .map((l) => l.split(';')[0])
        .join('; ');
      expect(cookie, path).toMatch(/^__Host-sid=/);
      const next = await fetch(`${server.url}/state`, { headers: { cookie } });
      expect(((await next.json()) as { data: unknown }).data, path).toEqual(data);
    }
  });
});
