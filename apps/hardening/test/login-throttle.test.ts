/**
 * Brute force against login (issue #18), over real HTTP on a throwaway redis-server: the Hono
 * adapter's `loginThrottle()` with the default policy (5 failures per account, 50 per address,
 * 15 min), behind one trusted proxy (`trustProxy: 1`), so each request names its client in
 * X-Forwarded-For as a proxy would.
 *
 * 1. 20 addresses against one account, all at once (each address one attempt at a time): the
 *    account is held to its budget. The check and the record are separate round trips, so the
 *    attempts already in flight when the 5th failure lands are still verified (at most 19
 *    more); every one of them is counted, every later attempt is refused (429, scope account),
 *    and the right password is refused too.
 * 2. One address against 200 accounts, one attempt at a time: exactly 50 passwords are checked,
 *    then the address waits (429, Retry-After 900) whatever account it names.
 */
import { serve } from '@hono/node-server';
import { createLoginThrottle, DEFAULT_THROTTLE_POLICY, type LoginThrottle } from '@tessera/session-core';
import { loginAttempt, loginThrottle, type SessionEnv, session } from '@tessera/session-hono';
import { redisStore } from '@tessera/session-redis';
import { type RedisServer, redisAvailable, serviceMissing, startRedis } from '@tessera/test-support';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { report } from '../src/results.js';

const noRedis = !redisAvailable() && serviceMissing('redis-server', 'install redis-server (Redis 7) on PATH');
const VICTIM = { username: 'victim', password: 'correct horse battery staple' };

describe.skipIf(noRedis)('login throttle under attack (Redis, Hono, trustProxy: 1)', () => {
  let server: RedisServer;
  let client: Redis;
  let throttle: LoginThrottle;
  let url: string;
  let close: () => Promise<void>;
  /** Passwords the handler actually checked: what the attacker got to try. */
  let verified = 0;

  beforeAll(async () => {
    server = await startRedis();
    client = new Redis(server.url);
    const store = redisStore({ client });
    throttle = createLoginThrottle({ store, logger: false });
    const app = new Hono<SessionEnv>();
    app.use(session({ store, trustProxy: 1, csrf: { enabled: false }, logger: false }));
    const body = async (c: { req: { json: <T>() => Promise<T> } }) =>
      c.req.json<{ username?: string; password?: string }>();
    app.post(
      '/login',
      loginThrottle(throttle, { account: async (c) => (await body(c)).username }),
      async (c) => {
        const { username, password } = await body(c);
        verified++;
        if (username !== VICTIM.username || password !== VICTIM.password) {
          await loginAttempt(c).failed();
          return c.json({ error: 'invalid_credentials' }, 401);
        }
        await loginAttempt(c).succeeded();
        await c.get('session').login(username);
        return c.json({ userId: username });
      },
    );
    const listening = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    const address = listening.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    close = () => new Promise<void>((done) => listening.close(() => done()));
  }, 30_000);

  afterAll(async () => {
    await close?.();
    client?.disconnect();
    await server?.stop();
  });

  const attempt = async (username: string, password: string, ip: string) => {
    const res = await fetch(`${url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify({ username, password }),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
  };

  it('20 addresses against one account are held to the account’s budget', async () => {
    verified = 0;
    const ips = Array.from({ length: 20 }, (_, i) => `198.51.100.${i + 1}`);
    const statuses: number[] = [];
    await Promise.all(
      ips.map(async (ip, i) => {
        for (let n = 0; n < 10; n++)
          statuses.push((await attempt(VICTIM.username, `guess-${i}-${n}`, ip)).status);
      }),
    );
    const checked = statuses.filter((s) => s === 401).length;
    const refused = statuses.filter((s) => s === 429).length;
    expect(checked + refused).toBe(200);
    expect(checked).toBe(verified);
    expect(checked).toBeGreaterThanOrEqual(DEFAULT_THROTTLE_POLICY.maxFailures);
    expect(checked).toBeLessThanOrEqual(DEFAULT_THROTTLE_POLICY.maxFailures + ips.length - 1);
    // Whatever address comes next, right password or not: the account waits.
    const right = await attempt(VICTIM.username, VICTIM.password, '203.0.113.200');
    expect(right).toMatchObject({ status: 429, body: { error: 'too_many_attempts' } });
    expect(Number(right.retryAfter)).toBeGreaterThan(0);
    expect((await throttle.check({ account: 'Victim', ip: '203.0.113.201' })).allowed).toBe(false);
    report('login-throttle-accounts', {
      addresses: ips.length,
      attempts: 200,
      passwordsChecked: checked,
      refused,
    });
  }, 60_000);

  it('one address against 200 accounts is held to the address’s budget', async () => {
    verified = 0;
    const ip = '192.0.2.77';
    const answers = [];
    for (let i = 0; i < 200; i++) answers.push(await attempt(`user-${i}`, 'password1', ip));
    const checked = answers.filter((a) => a.status === 401).length;
    expect(checked).toBe(DEFAULT_THROTTLE_POLICY.ipMaxFailures);
    expect(verified).toBe(DEFAULT_THROTTLE_POLICY.ipMaxFailures);
    const refused = answers.slice(DEFAULT_THROTTLE_POLICY.ipMaxFailures);
    expect(refused.every((a) => a.status === 429 && a.body.error === 'too_many_attempts')).toBe(true);
    expect(refused.every((a) => a.retryAfter === '900')).toBe(true);
    // Another address is not held by this one's failures.
    expect((await attempt('user-0', 'password1', '192.0.2.78')).status).toBe(401);
    report('login-throttle-addresses', { accounts: 200, passwordsChecked: checked, refused: refused.length });
  }, 60_000);
});
