// Adapter contract cases for cookies and store work: what a visit, a write and a bad cookie cost and set.
import { describe, expect, it } from 'vitest';
import { type AdapterCaseContext, SET_COOKIE_RE, SID } from './adapter-context.js';
import type { State } from './test-browser.js';

export function describeCookieCases(suite: AdapterCaseContext): void {
  const { timeout, store, browser, user } = suite;

  describe('cookies and store work', () => {
    it(
      'a first visit creates nothing in the store and no session cookie',
      async () => {
        const r = await browser().state();
        expect(r.status).toBe(200);
        expect(r.body).toMatchObject({ authenticated: false, userId: null, handle: null, data: {} });
        expect(r.sid).toEqual([]);
        expect(store().total()).toBe(0);
      },
      timeout,
    );

    it(
      'a write creates the session with the default Set-Cookie and Cache-Control: no-store',
      async () => {
        const b = browser();
        await b.state();
        const r = await b.send('POST', '/set', { json: { key: 'theme', value: 'dark' } });
        expect(r.status).toBe(204);
        expect(r.sid).toHaveLength(1);
        expect(r.sid[0]).toMatch(SET_COOKIE_RE);
        expect(r.headers.get('cache-control')).toBe('no-store');
        expect(store().counts.create).toBe(1);
        const s = await b.state();
        expect(s.body.data).toEqual({ theme: 'dark' });
      },
      timeout,
    );

    it(
      'every response that sets or clears a session or CSRF cookie says Cache-Control: no-store, 4xx included',
      async () => {
        const b = browser();
        const first = await b.state();
        expect(first.headers.getSetCookie().some((l) => l.startsWith('__Host-csrf='))).toBe(true);
        expect(first.headers.get('cache-control')).toBe('no-store');
        await b.send('POST', '/set', { json: { key: 'a', value: 1 } });
        const good = b.jar.get(SID)!;
        const forged = `${good.slice(0, -2)}${good.at(-2) === 'A' ? 'B' : 'A'}${good.at(-1)}`;
        const dead = { cookie: `${SID}=${forged}` };
        const replies = [
          await b.send('GET', '/protected', { headers: dead }),
          await b.send('POST', '/set', { json: { key: 'a', value: 2 }, headers: dead, csrf: false }),
          await b.login(user()),
        ];
        expect(replies.map((r) => r.status)).toEqual([401, 403, 200]);
        for (const r of replies) {
          expect(r.sid).toHaveLength(1);
          expect(r.headers.get('cache-control')).toBe('no-store');
        }
      },
      timeout,
    );

    it(
      'a read-only request costs exactly one store call (load) and sets no cookie',
      async () => {
        const b = browser();
        await b.state();
        await b.send('POST', '/set', { json: { key: 'a', value: 1 } });
        store().reset();
        const r = await b.state();
        expect(r.body.data).toEqual({ a: 1 });
        expect(store().counts.load).toBe(1);
        expect(store().total()).toBe(1);
        expect(r.headers.getSetCookie()).toEqual([]);
      },
      timeout,
    );

    it(
      'tampered, malformed, duplicated (differing values) and oversized cookies are anonymous, never 500, and cost no store call',
      async () => {
        const b = browser();
        await b.state();
        await b.send('POST', '/set', { json: { key: 'a', value: 1 } });
        const good = b.jar.get(SID)!;
        const flip = good.slice(0, -2) + (good.at(-2) === 'A' ? 'B' : 'A') + good.at(-1);
        const cookies = [
          `${SID}=${flip}`,
          `${SID}=not-a-token`,
          `${SID}=%%%;;==`,
          `${SID}=${good}; ${SID}=${flip}`,
          `${SID}=${good}${'x'.repeat(4000)}`,
          // Past the core's maxPairs (256) a pair is not looked at.
          `${Array.from({ length: 300 }, (_, i) => `p${i}=1`).join('; ')}; ${SID}=${good}`,
        ];
        store().reset();
        for (const [i, cookie] of cookies.entries()) {
          const what = ['tampered', 'malformed', 'garbage', 'duplicated', 'oversized', 'too many pairs'][i];
          const r = await b.send('GET', '/state', { headers: { cookie } });
          expect(r.status, what).toBe(200);
          expect((r.body as State).authenticated).toBe(false);
          expect((r.body as State).data, what).toEqual({});
        }
        expect(store().total()).toBe(0);
      },
      timeout,
    );
  });
}
