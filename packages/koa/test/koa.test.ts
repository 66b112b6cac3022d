/** Koa specifics: headers land before Koa responds; errors; trustProxy. */
import { createSessionManager, MemoryStore, type SessionManager } from '@tessera/session-core';
import type { TestServer } from '@tessera/session-testing';
import type Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
