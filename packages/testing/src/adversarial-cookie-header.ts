// Adversarial cases for the Cookie header: empty, malformed, oversized, flooded, look-alike and prototype-named cookies.

import { describe, expect, it } from 'vitest';
import { type AdversarialContext, SID, type StateBody } from './adversarial-context.js';

export function describeCookieHeaderAttacks(suite: AdversarialContext): void {
  const { timeout, client, anonymousWith, rejected, store, app, events } = suite;

  describe('the Cookie header', () => {
    it(
      'empty and whitespace-only Cookie headers are anonymous and cost no store call',
      async () => {
        for (const cookie of ['', ' ', '\t', ';', ' ; ; ', '=', `${SID}=`, `${SID}= `, `${SID}`]) {
          expect(await anonymousWith(cookie), JSON.stringify(cookie)).toBe(true);
        }
        expect(store().total()).toBe(0);
      },
      timeout,
    );

    it(
      'malformed tokens (bad base64url, wrong length, extra dots, bare signature prefix) are anonymous, rejected as malformed or forged, with no store call',
      async () => {
        const b = client();
        const good = await b.anonymous();
        const [rand = '', kid = '', sig = ''] = good.split('.').slice(-3);
        store().reset();
        events.length = 0;
        const bad = [
          `${'!'.repeat(43)}.${kid}.${sig}`,
          `${rand.slice(0, 42)}*.${kid}.${sig}`,
          `${rand}=.${kid}.${sig}`,
          `${rand.slice(0, 42)}.${kid}.${sig}`,
          `${rand}A.${kid}.${sig}`,
          `${rand}.${kid}.${sig}A`,
          `${rand}.${kid}.${sig}.extra`,
          `a.b.${rand}.${kid}.${sig}`,
          `${rand}..${sig}`,
          `.${kid}.${sig}`,
          `${kid}.${sig}`,
          `.${sig}`,
          `${rand}.${kid}.`,
          '...',
          'x'.repeat(201),
        ];
        for (const value of bad) expect(await anonymousWith(`${SID}=${value}`), value).toBe(true);
        expect(store().total()).toBe(0);
        expect(rejected()).toHaveLength(bad.length);
        for (const reason of rejected()) expect(['malformed', 'forged']).toContain(reason);
      },
      timeout,
    );

    it(
      'a 64 KB Cookie header: 431 before the app or anonymous, never 5xx, no store call; the server stays up',
      async () => {
        const b = client();
        const good = await b.anonymous();
        store().reset();
        const cookie = `${'p=1; '.repeat(13_107)}${SID}=${good}`;
        let status: number | 'closed';
        try {
          const r = await fetch(`${app().url}/state`, { headers: { cookie } });
          status = r.status;
          const text = await r.text();
          if (status === 200) expect((JSON.parse(text) as StateBody).authenticated).toBe(false);
        } catch {
          // Node may close the socket after its 431 while fetch is still writing.
          status = 'closed';
        }
        expect([431, 200, 'closed']).toContain(status);
        expect(store().total()).toBe(0);
        expect((await b.state()).body.data).toEqual({ seed: 1 });
      },
      timeout,
    );

    it(
      '10,000 cookie pairs (and 5,000 named ones) under the header limit: the session past the pair bound is never looked at',
      async () => {
        const b = client();
        const good = await b.anonymous();
        store().reset();
        const many = [`${';'.repeat(9_999)}${SID}=${good}`, `${'c=;'.repeat(5_000)}${SID}=${good}`];
        for (const cookie of many) expect(await anonymousWith(cookie)).toBe(true);
        expect(store().total()).toBe(0);
        // The same flood after the session cookie does not hide it.
        const first = await b.send('GET', '/state', {
          headers: { cookie: `${SID}=${good};${'c=;'.repeat(5_000)}` },
        });
        expect((first.body as StateBody).data).toEqual({ seed: 1 });
        expect(store().total()).toBe(1);
      },
      timeout,
    );

    it(
      'look-alike and duplicate names: %5F%5FHost-sid, a leading U+00A0, lower case, bare `sid`, differing duplicates are anonymous; identical duplicates and a stray `sid` beside it are not confused',
      async () => {
        const b = client();
        const good = await b.anonymous();
        const other = await client().anonymous();
        store().reset();
        const lookalikes = [
          `%5F%5FHost-sid=${good}`,
          `__Host%2Dsid=${good}`,
          `\u00A0${SID}=${good}`,
          `__host-sid=${good}`,
          `sid=${good}`,
          `__Secure-sid=${good}`,
          `${SID}=${good}; ${SID}=${other}`,
          `${SID}=${other}; x=1; ${SID}=${good}`,
        ];
        for (const cookie of lookalikes) expect(await anonymousWith(cookie), cookie).toBe(true);
        expect(store().total()).toBe(0);
        for (const cookie of [`${SID}=${good}; ${SID}=${good}`, `sid=${other}; ${SID}=${good}`]) {
          const r = await b.send('GET', '/state', { headers: { cookie } });
          expect((r.body as StateBody).data, cookie).toEqual({ seed: 1 });
        }
      },
      timeout,
    );

    it(
      '__proto__ and constructor as cookie names neither pollute nor hide the session',
      async () => {
        const b = client();
        const good = await b.anonymous();
        store().reset();
        for (const cookie of ['__proto__=1', 'constructor=x; prototype=y', '__proto__[polluted]=1']) {
          expect(await anonymousWith(cookie)).toBe(true);
        }
        expect(store().total()).toBe(0);
        const r = await b.send('GET', '/state', {
          headers: { cookie: `__proto__=x; constructor=y; ${SID}=${good}; toString=z` },
        });
        expect((r.body as StateBody).data).toEqual({ seed: 1 });
        expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
      },
      timeout,
    );
  });
}
