/**
 * Adversarial cases for the CSRF check the session middleware enforces by itself (issue #13):
 * no route of the TEST APP mounts a guard, so each refusal here is the middleware's. Called
 * from describeAdversarialContract with its app and store.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { InstrumentedStore } from './instrumented-store.js';
import { Browser } from './test-browser.js';

export interface CsrfCaseContext {
  /** Base URL of the suite's main app (key ring, default CSRF). */
  url(): string;
  store(): InstrumentedStore;
  user(): string;
  readonly timeout: number;
  /** See AdversarialContractOptions.bodyParsedFirst. */
  readonly bodyParsedFirst: boolean;
}

const EVIL = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
const FORM = 'application/x-www-form-urlencoded';

/** A raw request (a declared length, a chunked body) that fetch would not send as written. */
function raw(
  url: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | Buffer[],
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    // The server may answer and close before reading it all: that is the point.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve({ status: -1, body: '' });
      else reject(error);
    });
    if (Array.isArray(body)) {
      for (const chunk of body) req.write(chunk);
      req.end();
    } else req.end(body);
  });
}

export function describeCsrfDefaults(ctx: CsrfCaseContext): void {
  const { timeout } = ctx;
  const signedIn = async () => {
    const b = new Browser(ctx.url());
    expect((await b.login(ctx.user())).status).toBe(200);
    return b;
  };

  describe('CSRF enforced by the session middleware (no guard on any route)', () => {
    it(
      'regression (#13): a cross-site POST to a route with no csrf() is refused with 403 before the handler runs',
      async () => {
        const b = await signedIn();
        ctx.store().reset();
        const attempts: Record<string, string>[] = [
          EVIL,
          { origin: 'https://evil.example' },
          { 'sec-fetch-site': 'cross-site' },
        ];
        for (const headers of attempts) {
          const r = await b.send('POST', '/set', { json: { key: 'evil', value: 1 }, headers });
          expect(r.status, JSON.stringify(headers)).toBe(403);
          expect(r.body).toEqual({ error: 'csrf' });
        }
        // No token at all, same origin: refused too.
        const bare = await b.send('POST', '/set', { json: { key: 'evil', value: 2 }, csrf: false });
        expect(bare.status).toBe(403);
        expect(ctx.store().counts.update + ctx.store().counts.create).toBe(0);
        expect((await b.state()).body.data).toEqual({});
      },
      timeout,
    );

    it(
      'a route exempted with skipCsrf() / @SkipCsrf() takes a cross-site POST without a token',
      async () => {
        const b = await signedIn();
        const r = await b.send('POST', '/hook', { headers: EVIL, csrf: false });
        expect(r.status).toBe(204);
        expect((await b.state()).body.data).toEqual({ hook: true });
      },
      timeout,
    );

    it(
      'regression (#13): the pre-session token is refused once a session exists',
      async () => {
        const b = new Browser(ctx.url());
        await b.state();
        const pre = b.csrf;
        const created = await b.send('POST', '/set', { json: { key: 'a', value: 1 } });
        expect(created.status).toBe(204);
        // The response that created the session handed over the session's own token.
        expect(b.csrf).not.toBe(pre);
        const stale = await b.send('POST', '/set', {
          json: { key: 'b', value: 2 },
          headers: { 'x-csrf-token': pre },
        });
        expect(stale.status).toBe(403);
        const fresh = await b.send('POST', '/set', { json: { key: 'b', value: 3 } });
        expect(fresh.status).toBe(204);
        expect((await b.state()).body.data).toEqual({ a: 1, b: 3 });
      },
      timeout,
    );

    it(
      'regression (#13): a form over maxFormBytes, a chunked form and a malformed multipart body are 403, unread, never 5xx',
      async () => {
        const b = await signedIn();
        const cookie = b.jar.header() ?? '';
        const token = `_csrf=${encodeURIComponent(b.csrf)}&`;
        // 200 KiB with the right token up front: refused for its size, not read for the token.
        const big = Buffer.from(token + 'x='.padEnd(200 * 1024, 'a'));
        const large = await raw(
          ctx.url(),
          '/form',
          { cookie, 'content-type': FORM, 'content-length': String(big.length) },
          big,
        );
        // Where the framework parses first, its own body limit answers (413) before the check.
        expect(ctx.bodyParsedFirst ? [413, -1] : [403, -1], 'oversize form').toContain(large.status);
        if (large.status === 403) expect(JSON.parse(large.body)).toEqual({ error: 'csrf' });
        const chunked = await raw(
          ctx.url(),
          '/form',
          { cookie, 'content-type': FORM, 'transfer-encoding': 'chunked' },
          [Buffer.from(token), Buffer.from('note=1')],
        );
        // A body the app's own (bounded) parser read is the app's: its token counts there.
        expect(chunked.status, 'chunked form').toBe(ctx.bodyParsedFirst ? 200 : 403);
        const broken = Buffer.from('--zz\r\nContent-Disposition: form-data\r\n\r\nno name, no end');
        const multipart = await raw(
          ctx.url(),
          '/form',
          {
            cookie,
            'content-type': 'multipart/form-data; boundary=zz',
            'content-length': String(broken.length),
          },
          broken,
        );
        expect(multipart.status, 'malformed multipart').toBe(403);
        // The same session still works: a well-formed form with its token passes.
        const ok = await b.send('POST', '/form', { form: `${token}note=fine`, csrf: false });
        expect(ok.status).toBe(200);
      },
      timeout,
    );
  });
}
