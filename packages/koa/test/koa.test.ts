/** Koa specifics: headers land before Koa responds; errors; trustProxy. */
import { PassThrough } from 'node:stream';
import { createSessionManager, MemoryStore, type SessionManager } from '@tessera/session-core';
import { instrumentStore, sleep, type TestServer } from '@tessera/session-testing';
import type Koa from 'koa';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { session } from '../src/index.js';
import { buildApp, listen } from './app.js';

const cookieOf = (res: Response) =>
  res.headers
    .getSetCookie()
    .map((l) => l.split(';')[0])
    .join('; ');

describe('koa adapter', () => {
  let manager: SessionManager;
  let server: TestServer;
  beforeAll(async () => {
    manager = createSessionManager({ store: new MemoryStore({ warnInProduction: false }) });
    const app = buildApp(manager, {
      'GET /set-redirect': [
        (ctx) => {
          ctx.session.set('step', 2);
          ctx.redirect('/state');
        },
      ],
      'GET /boom': [
        (ctx) => {
          ctx.session.set('k', 1);
          throw new Error('handler failed');
        },
      ],
    });
    server = await listen(app);
  });
  afterAll(() => server.close());

  it('ctx.redirect after a write carries the cookie; the next request sees the write', async () => {
    const r = await fetch(`${server.url}/set-redirect`, { redirect: 'manual' });
    expect(r.status).toBe(302);
    const cookie = cookieOf(r);
    expect(cookie).toMatch(/^__Host-sid=/);
    const next = await fetch(`${server.url}/state`, { headers: { cookie } });
    expect(((await next.json()) as { data: unknown }).data).toEqual({ step: 2 });
  });

  it('a non-session error from a handler is left to Koa (500, no stack, no session cookie)', async () => {
    const r = await fetch(`${server.url}/boom`);
    expect(r.status).toBe(500);
    expect(await r.text()).not.toMatch(/handler failed|at /);
    expect(r.headers.getSetCookie()).toEqual([]);
  });

  it('trustProxy: 1 takes the client IP from the nearest X-Forwarded-For hop', async () => {
    const who = async (ctx: Koa.Context) => {
      await ctx.session.login('u-trust');
      ctx.body = (await ctx.session.listSessions())[0];
    };
    const trusted = buildApp(manager, { 'GET /who': [who] }, 1);
    const s = await listen(trusted);
    try {
      const r = await fetch(`${s.url}/who`, { headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' } });
      expect(((await r.json()) as { ip: string }).ip).toBe('203.0.113.7');
    } finally {
      await s.close();
    }
  });

  it('an invalid trustProxy is refused at construction', () => {
    expect(() => session({ manager, trustProxy: 1.5 })).toThrow(/trustProxy/);
  });
});

/** A memory store whose writes take a while, as a networked store's do. */
class SlowStore extends MemoryStore {
  override async create(...args: Parameters<MemoryStore['create']>) {
    await sleep(20);
    return super.create(...args);
  }
  override async update(...args: Parameters<MemoryStore['update']>) {
    await sleep(20);
    return super.update(...args);
  }
  override async rotate(...args: Parameters<MemoryStore['rotate']>) {
    await sleep(20);
    return super.rotate(...args);
  }
}

/** A promise the test resolves: lets a handler hold the middleware chain open, as SSE does. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('koa adapter: headers sent early, failed commits', () => {
  const store = instrumentStore(new SlowStore({ warnInProduction: false }));
  const manager = createSessionManager({ store });
  const errors: unknown[] = [];
  let server: TestServer;
  let hold = gate();
  let stream = new PassThrough();
  let late: unknown;

  /** SSE-style: the session changes, then the headers are flushed while the chain stays open. */
  const flushAndHold = async (ctx: Koa.Context) => {
    ctx.type = 'text/event-stream';
    stream = new PassThrough();
    ctx.body = stream;
    ctx.flushHeaders();
    try {
      ctx.session.set('late', 1);
    } catch (error) {
      late = error;
    }
    await hold.opened;
    stream.end('data: bye\n\n');
  };

  beforeAll(async () => {
    const app = buildApp(manager, {
      'GET /flush': [
        async (ctx) => {
          ctx.session.set('flushed', 1);
          await flushAndHold(ctx);
        },
      ],
      'GET /login-flush': [
        async (ctx) => {
          await ctx.session.login('u-flush');
          await flushAndHold(ctx);
        },
      ],
      'GET /flush-fail': [
        async (ctx) => {
          ctx.session.set('flushed', 1);
          ctx.cookies.set('app', '1');
          await flushAndHold(ctx);
        },
      ],
      'GET /redirect': [
        (ctx) => {
          ctx.session.set('r', 1);
          ctx.cookies.set('app', '1');
          ctx.redirect('/state');
        },
      ],
      'GET /direct-write': [
        (ctx) => {
          ctx.session.set('direct', 1);
          ctx.respond = false;
          ctx.res.writeHead(200, { 'content-type': 'text/plain' });
          ctx.res.end('raw');
        },
      ],
      'GET /write-then-change': [
        (ctx) => {
          ctx.respond = false;
          ctx.res.end('raw');
          try {
            ctx.session.set('after', 1);
          } catch (error) {
            late = error;
          }
        },
      ],
    });
    app.on('error', (error) => errors.push(error));
    server = await listen(app);
  });
  afterAll(async () => {
    hold.open();
    await server.close();
  });
  beforeEach(() => {
    hold = gate();
    late = undefined;
    errors.length = 0;
    store.mode = 'up';
    store.reset();
  });

  it('ctx.flushHeaders() after a change sends the session cookie with the flushed headers', async () => {
    // fetch resolves on the headers: they arrive while the handler still holds the chain open.
    const r = await fetch(`${server.url}/flush`);
    expect(r.status).toBe(200);
    const cookie = cookieOf(r);
    expect(cookie).toMatch(/^__Host-sid=/);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(store.counts.create).toBe(1);
    hold.open();
    expect(await r.text()).toBe('data: bye\n\n');
    const next = await fetch(`${server.url}/state`, { headers: { cookie } });
    expect(((await next.json()) as { data: unknown }).data).toEqual({ flushed: 1 });
    // A change once the headers are on their way could not reach the client: refused.
    expect(late).toMatchObject({ code: 'invalid_state' });
    expect(errors).toEqual([]);
  });

  it('login then ctx.flushHeaders() (SSE) keeps the client signed in with the rotated cookie', async () => {
    const first = await fetch(`${server.url}/state`);
    const anonymous = cookieOf(first);
    const r = await fetch(`${server.url}/login-flush`, { headers: { cookie: anonymous } });
    const cookie = cookieOf(r);
    expect(cookie).toMatch(/__Host-sid=/);
    hold.open();
    await r.text();
    const next = await fetch(`${server.url}/state`, { headers: { cookie } });
    expect(await next.json()).toMatchObject({ authenticated: true, userId: 'u-flush' });
  });

  it('a commit failing at ctx.flushHeaders() answers 503 at once, without the handler headers', async () => {
    store.mode = 'reject';
    const r = await fetch(`${server.url}/flush-fail`);
    expect(r.status).toBe(503);
    expect(r.headers.getSetCookie()).toEqual([]);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await r.json()).toEqual({ error: 'session_store_unavailable' });
    // The handler's body stream is released with the response, not left open.
    expect(stream.destroyed).toBe(true);
    hold.open();
    await sleep(20);
    expect(errors).toEqual([]);
  });

  it("a failed commit answers 503 JSON without the handler's Location or cookies", async () => {
    store.mode = 'reject';
    const r = await fetch(`${server.url}/redirect`, { redirect: 'manual' });
    expect(r.status).toBe(503);
    expect(r.headers.get('location')).toBeNull();
    expect(r.headers.getSetCookie()).toEqual([]);
    expect(await r.json()).toEqual({ error: 'session_store_unavailable' });
  });

  it('headers sent by a direct write to ctx.res: the change is not saved and Koa hears of it', async () => {
    const r = await fetch(`${server.url}/direct-write`);
    expect(await r.text()).toBe('raw');
    expect(r.headers.getSetCookie()).toEqual([]);
    await sleep(20);
    expect(store.counts.create).toBe(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'invalid_state' });
  });

  it('a change after a direct write to ctx.res throws invalid_state', async () => {
    const r = await fetch(`${server.url}/write-then-change`);
    expect(await r.text()).toBe('raw');
    await sleep(20);
    expect(late).toMatchObject({ code: 'invalid_state' });
    expect(store.total()).toBe(0);
    expect(errors).toEqual([]);
  });
});
