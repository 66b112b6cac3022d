/**
 * The login throttle over real HTTP, the same cases for every adapter (issue #18). An adapter's
 * test file builds the THROTTLE APP below and calls:
 *
 *   describeLoginThrottleContract({ name: 'hono', makeApp: async ({ manager, throttle, trustProxy }) => … });
 *
 * THROTTLE APP: the adapter's session middleware on `manager` with `trustProxy`, and
 *   POST /throttled-login  JSON { username, password }, behind the adapter's `loginThrottle(throttle,
 *                { account: request → body.username })` guard. The handler: password 'right' →
 *                await session.login(username), the attempt's succeeded(), 200 { userId };
 *                anything else → the attempt's failed(), 401 { error: 'invalid_credentials' }.
 * The suite turns CSRF off on its manager (it tests the throttle, not CSRF) and keeps every
 * throttle default but `ipMaxFailures: 8`, so the per-IP case stays short.
 */
import {
  createLoginThrottle,
  createSessionManager,
  type LoginThrottle,
  MemoryStore,
  type SessionManager,
  type TrustProxy,
} from '@tessera/session-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from './contract-types.js';
import { randomId } from './fixtures.js';
import { type InstrumentedStore, instrumentStore } from './instrumented-store.js';

export interface LoginThrottleAppOptions {
  readonly manager: SessionManager;
  readonly throttle: LoginThrottle;
  readonly trustProxy: TrustProxy;
}

export interface LoginThrottleContractOptions {
  readonly name: string;
  readonly makeApp: (options: LoginThrottleAppOptions) => Promise<TestServer>;
}

export function describeLoginThrottleContract(options: LoginThrottleContractOptions): void {
  describe(`login throttle over HTTP: ${options.name}`, () => {
    let store: InstrumentedStore;
    let server: TestServer;
    beforeAll(async () => {
      store = instrumentStore(new MemoryStore({ warnInProduction: false }));
      const manager = createSessionManager({
        store,
        csrf: { enabled: false },
        logger: false,
        storeTimeoutMs: 500,
      });
      const throttle = createLoginThrottle({ store, ipMaxFailures: 8, logger: false, storeTimeoutMs: 500 });
      // One proxy hop trusted: X-Forwarded-For's last entry is the client.
      server = await options.makeApp({ manager, throttle, trustProxy: 1 });
    });
    afterAll(async () => {
      await server?.close();
    });

    const user = () => `user-${randomId().slice(0, 8)}`;
    let nextIp = 1;
    const ip = () => `198.51.100.${nextIp++ % 250}`;
    const login = async (username: string, password: string, from: string) => {
      const res = await fetch(`${server.url}/throttled-login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
        body: JSON.stringify({ username, password }),
      });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
    };

    it('5 failures for one username: then 429 too_many_attempts with Retry-After, right password or not; other usernames still log in', async () => {
      const alice = user();
      const from = ip();
      for (let i = 0; i < 5; i++) {
        expect(await login(alice, 'wrong', from)).toMatchObject({
          status: 401,
          body: { error: 'invalid_credentials' },
        });
      }
      for (const password of ['wrong', 'right']) {
        expect(await login(alice, password, from)).toEqual({
          status: 429,
          retryAfter: '60',
          body: { error: 'too_many_attempts' },
        });
      }
      // The account name is normalised: case and spaces do not buy another budget.
      expect((await login(` ${alice.toUpperCase()} `, 'right', from)).status).toBe(429);
      const bob = user();
      expect(await login(bob, 'right', from)).toMatchObject({ status: 200, body: { userId: bob } });
    });

    it('a success forgets the account’s failures', async () => {
      const carol = user();
      const from = ip();
      for (let i = 0; i < 4; i++) expect((await login(carol, 'wrong', from)).status).toBe(401);
      expect((await login(carol, 'right', from)).status).toBe(200);
      // Another address: this one's budget (8) is not the point here.
      const other = ip();
      for (let i = 0; i < 4; i++) expect((await login(carol, 'wrong', other)).status).toBe(401);
      expect((await login(carol, 'right', other)).status).toBe(200);
    });

    it('one address (as trustProxy resolves it) is held to its budget across accounts', async () => {
      const from = ip();
      for (let i = 0; i < 8; i++) expect((await login(user(), 'wrong', from)).status).toBe(401);
      const held = await login(user(), 'right', from);
      expect(held).toMatchObject({ status: 429, body: { error: 'too_many_attempts' } });
      expect(Number(held.retryAfter)).toBe(900);
      // A client-written X-Forwarded-For entry on the left changes nothing: the proxy's entry counts.
      expect((await login(user(), 'right', `203.0.113.99, ${from}`)).status).toBe(429);
      expect((await login(user(), 'right', ip())).status).toBe(200);
    });

    it('store down: the login answers 503 and never reaches the password check', async () => {
      store.mode = 'reject';
      try {
        const res = await login(user(), 'right', ip());
        expect(res).toMatchObject({ status: 503, body: { error: 'session_store_unavailable' } });
      } finally {
        store.mode = 'up';
      }
    });
  });
}
