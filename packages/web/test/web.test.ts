/** Web-adapter specifics, called directly with Requests: client IP, getSession, immutable responses, errors. */
import { createSessionManager, MemoryStore, type SessionManager } from '@tessera/session-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAuth, getSession, withSession } from '../src/index.js';

const ORIGIN = 'http://app.test';
const get = (path: string, headers: Record<string, string> = {}) => new Request(ORIGIN + path, { headers });

describe('web adapter', () => {
  let manager: SessionManager;
  beforeAll(() => {
    manager = createSessionManager({
      store: new MemoryStore({ warnInProduction: false }),
      cookie: { secure: false },
    });
  });
  afterAll(() => manager.close());

  it('takes the peer from clientIp(request, ...rest); trustProxy walks X-Forwarded-For past it', async () => {
    const who = async (trustProxy: number | false) => {
      const handler = withSession(
        async (_req, s) => {
          await s.login(`u-${String(trustProxy)}`);
          return Response.json((await s.listSessions())[0]);
        },
        { manager, trustProxy, clientIp: (_req: Request, peer: string) => peer },
      );
      const res = await handler(get('/', { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' }), '192.0.2.1');
      return ((await res.json()) as { ip: string }).ip;
    };
    expect(await who(false)).toBe('192.0.2.1');
    expect(await who(1)).toBe('203.0.113.7');
    expect(await who(2)).toBe('198.51.100.1');
  });

  it('getSession(request) is the handler argument; outside withSession it throws', async () => {
    let same = false;
    const handler = withSession(
      (req, s) => {
        same = getSession(req) === s;
        return new Response('ok');
      },
      { manager },
    );
    await handler(get('/'));
    expect(same).toBe(true);
    expect(() => getSession(get('/'))).toThrow(/no withSession\(\) wraps/);
    await expect(checkAuth(get('/'))).rejects.toThrow(/needs the session\(\) middleware/);
  });

  it('commits onto a response whose headers are immutable (Response.redirect): a copy, same body and status', async () => {
    const handler = withSession(
      (_req, s) => {
        s.set('seen', true);
        return Response.redirect(`${ORIGIN}/next`, 302);
      },
      { manager },
    );
    const res = await handler(get('/'));
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${ORIGIN}/next`);
    expect(res.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^sid=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/),
    ]);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('a SessionError from the handler answers its status; any other error reaches the runtime', async () => {
    const revoke = withSession(async (_req, s) => Response.json(await s.revokeOtherSessions()), { manager });
    const anon = await revoke(get('/'));
    expect(anon.status).toBe(401);
    expect(await anon.json()).toEqual({ error: 'unauthenticated' });
    const boom = withSession(
      () => {
        throw new Error('handler failed');
      },
      { manager },
    );
    await expect(boom(get('/'))).rejects.toThrow('handler failed');
  });

  it('the wrapped handler carries its manager (admin API)', () => {
    expect(withSession(() => new Response(), { manager }).manager).toBe(manager);
  });
});
