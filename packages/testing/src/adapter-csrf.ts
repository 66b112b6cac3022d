// Adapter contract cases for CSRF: the header token, Sec-Fetch-Site and Origin, the form field.
import { describe, expect, it } from 'vitest';
import type { AdapterCaseContext } from './adapter-context.js';

export function describeCsrfCases(suite: AdapterCaseContext): void {
  const { timeout, server, browser, user } = suite;

  describe('CSRF', () => {
    it(
      'a missing or wrong token answers 403 csrf; the right one passes; safe methods pass',
      async () => {
        const b = browser();
        await b.state();
        const missing = await b.send('POST', '/set', { json: { key: 'a', value: 1 }, csrf: false });
        expect(missing.status).toBe(403);
        expect(missing.body).toEqual({ error: 'csrf' });
        const wrong = await b.send('POST', '/set', {
          json: { key: 'a', value: 1 },
          headers: { 'x-csrf-token': `${b.csrf.slice(0, -2)}xx` },
        });
        expect(wrong.status).toBe(403);
        expect(wrong.body).toEqual({ error: 'csrf' });
        expect((await b.send('POST', '/set', { json: { key: 'a', value: 1 } })).status).toBe(204);
        expect((await b.send('GET', '/state', { csrf: false })).status).toBe(200);
        // The token is bound to the session: after login the old one is refused.
        const old = b.csrf;
        await b.login(user());
        const stale = await b.send('POST', '/set', {
          json: { key: 'b', value: 2 },
          headers: { 'x-csrf-token': old },
        });
        expect(stale.status).toBe(403);
      },
      timeout,
    );

    it(
      'a cross-site Sec-Fetch-Site on POST is refused even with the right token',
      async () => {
        const b = browser();
        await b.state();
        for (const site of ['cross-site', 'same-site']) {
          const r = await b.send('POST', '/set', {
            json: { key: 'a', value: 1 },
            headers: { 'sec-fetch-site': site },
          });
          expect(r.status, site).toBe(403);
          expect(r.body).toEqual({ error: 'csrf' });
        }
        const evil = await b.send('POST', '/set', {
          json: { key: 'a', value: 1 },
          headers: { origin: 'https://evil.example' },
        });
        expect(evil.status).toBe(403);
        const same = await b.send('POST', '/set', {
          json: { key: 'a', value: 1 },
          headers: { 'sec-fetch-site': 'same-origin' },
        });
        expect(same.status).toBe(204);
        // The adapter computes its own origin right (Koa 3's ctx.origin is the Origin header).
        const own = await b.send('POST', '/set', {
          json: { key: 'a', value: 2 },
          headers: { origin: server().url },
        });
        expect(own.status).toBe(204);
      },
      timeout,
    );

    it(
      'the token from a form body field passes; a wrong one is refused',
      async () => {
        const b = browser();
        await b.login(user());
        const ok = await b.send('POST', '/form', {
          form: `_csrf=${encodeURIComponent(b.csrf)}&note=kept%20for%20the%20app`,
          csrf: false,
        });
        expect(ok.status).toBe(200);
        // The middleware read the form for its token and left it whole for the app's parser.
        expect(ok.body).toEqual({ note: 'kept for the app' });
        const bad = await b.send('POST', '/form', { form: '_csrf=nope&x=1', csrf: false });
        expect(bad.status).toBe(403);
        expect(bad.body).toEqual({ error: 'csrf' });
      },
      timeout,
    );
  });
}
