/**
 * The CSRF check the session middleware of every adapter runs (issue #13: on by default,
 * bounded form reading, the pre-session token only without a session and always keyed).
 */
import { describe, expect, it } from 'vitest';
import {
  type CsrfFormSource,
  createSessionManager,
  enforceCsrf,
  isSafeMethod,
  MemoryStore,
  readFormToken,
  resolvePolicy,
  type SessionManagerOptions,
  TokenCodec,
} from '../src/index.js';
import { toBase64Url } from '../src/internal/bytes.js';
import { sha256 } from '../src/internal/hash.js';

const ORIGIN = 'https://app.test';

function request(method: string, headers: Record<string, string> = {}) {
  return { method, header: (name: string) => headers[name], ip: '203.0.113.9', selfOrigin: ORIGIN };
}

function managerWith(options: Partial<SessionManagerOptions> = {}) {
  return createSessionManager({ store: new MemoryStore({ warnInProduction: false }), ...options });
}

/** The `name=value` pairs of the Set-Cookie lines a commit answered. */
function cookiesOf(headers: readonly (readonly [string, string])[]): string {
  return headers
    .filter(([k]) => k === 'set-cookie')
    .map(([, v]) => v.split(';')[0]!)
    .filter((pair) => !pair.endsWith('='))
    .join('; ');
}

/** A pre-session pair as a login form gets it: the cookie and its token. */
async function preSession(manager = managerWith()) {
  const rs = await manager.begin(request('GET'));
  const token = rs.session.csrfToken;
  return { manager, token, cookie: cookiesOf(await rs.commit()) };
}

const NO_BODY: CsrfFormSource = {};
const csrf = resolvePolicy().csrf;

describe('CSRF on by default', () => {
  it('GET, HEAD and OPTIONS are safe; TRACE and everything else is checked', () => {
    expect(['GET', 'HEAD', 'OPTIONS', 'get'].every(isSafeMethod)).toBe(true);
    expect(['POST', 'PUT', 'PATCH', 'DELETE', 'TRACE', 'PROPFIND'].some(isSafeMethod)).toBe(false);
  });

  it('a POST with no token is refused by the middleware step; skipped() lets it through', async () => {
    const manager = managerWith();
    const rs = await manager.begin(request('POST'));
    expect(await enforceCsrf(rs, NO_BODY, () => false)).toEqual({ ok: false, reason: 'missing' });
    expect(await enforceCsrf(rs, NO_BODY, () => true)).toEqual({ ok: true });
  });

  it('a cross-site POST is refused before any body is read', async () => {
    const manager = managerWith();
    const rs = await manager.begin(
      request('POST', {
        'sec-fetch-site': 'cross-site',
        'content-type': 'application/x-www-form-urlencoded',
      }),
    );
    let reads = 0;
    const read = async () => {
      reads++;
      return new Uint8Array();
    };
    const result = await enforceCsrf(rs, { read }, () => false);
    expect(result).toEqual({ ok: false, reason: 'cross-site' });
    expect(reads).toBe(0);
  });

  it('maxFormBytes is validated at start-up', () => {
    expect(resolvePolicy().csrf.maxFormBytes).toBe(64 * 1024);
    for (const bad of [-1, 1.5, Number.NaN, 17 * 1024 * 1024, '10'])
      expect(() => resolvePolicy({ csrf: { maxFormBytes: bad as number } })).toThrow(/maxFormBytes/);
  });
});

describe('the pre-session token', () => {
  it('authorises a login POST while there is no session', async () => {
    const { manager, token, cookie } = await preSession();
    const rs = await manager.begin(request('POST', { cookie, 'x-csrf-token': token }));
    expect(rs.checkCsrf()).toEqual({ ok: true });
  });

  it('regression (#13): is refused once a session exists, even with its own cookie still sent', async () => {
    const { manager, token, cookie } = await preSession();
    const first = await manager.begin(request('POST', { cookie, 'x-csrf-token': token }));
    first.session.set('cart', ['x']);
    const headers = await first.commit();
    const session = cookiesOf(headers);
    const both = `${cookie}; ${session}`;
    const rs = await manager.begin(request('POST', { cookie: both, 'x-csrf-token': token }));
    expect(rs.checkCsrf()).toEqual({ ok: false, reason: 'mismatch' });
    // The response that created the session handed over the session's own token, which works.
    const fresh = headers.find(([k]) => k === 'x-csrf-token')?.[1];
    expect(fresh).toBe(rs.session.csrfToken);
    const again = await manager.begin(request('POST', { cookie: both, 'x-csrf-token': fresh! }));
    expect(again.checkCsrf()).toEqual({ ok: true });
  });

  it('regression (#13): is keyed: not the unkeyed hash of the cookie, and another process key does not verify it', async () => {
    const { token, cookie } = await preSession();
    const value = cookie.split('=')[1]!;
    expect(token).not.toBe(toBase64Url(sha256(`tessera/csrf/v1\0pre.${value}`)));
    const other = managerWith();
    const rs = await other.begin(request('POST', { cookie, 'x-csrf-token': token }));
    expect(rs.checkCsrf()).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('verifies across instances that share a key ring or atRestSecret', async () => {
    const keys = [{ id: 'k1', secret: 'a-signing-key-of-at-least-32-bytes!!' }];
    const { token, cookie } = await preSession(managerWith({ keys }));
    const rs = await managerWith({ keys }).begin(request('POST', { cookie, 'x-csrf-token': token }));
    expect(rs.checkCsrf()).toEqual({ ok: true });
    const secret = 'an-at-rest-secret-of-32-bytes-or-more';
    const a = new TokenCodec({ atRestSecret: secret });
    expect(a.preSessionTokenOf('v')).toBe(new TokenCodec({ atRestSecret: secret }).preSessionTokenOf('v'));
  });
});

describe('the form field, read with a bound', () => {
  const FORM = 'application/x-www-form-urlencoded';
  const header = (h: Record<string, string>) => (name: string) => h[name];
  const source = (body: string) => {
    const bytes = new TextEncoder().encode(body);
    const calls: number[] = [];
    const read = async (length: number) => {
      calls.push(length);
      return bytes;
    };
    return { calls, read };
  };

  it('reads a urlencoded form with a known length', async () => {
    const body = '_csrf=tok%2Den&x=1';
    const s = source(body);
    const h = header({ 'content-type': FORM, 'content-length': String(body.length) });
    expect(await readFormToken(h, csrf, s)).toBe('tok-en');
    expect(s.calls).toEqual([body.length]);
  });

  it('reads a multipart form, and ignores a file field of that name', async () => {
    const form = new FormData();
    form.set('_csrf', 'multi');
    const request = new Request('http://x/', { method: 'POST', body: form });
    const bytes = new Uint8Array(await request.arrayBuffer());
    const h = header({
      'content-type': request.headers.get('content-type')!,
      'content-length': String(bytes.length),
    });
    expect(await readFormToken(h, csrf, { read: async () => bytes })).toBe('multi');
    const files = new FormData();
    files.set('_csrf', new Blob(['x']), 'a.txt');
    const fileRequest = new Request('http://x/', { method: 'POST', body: files });
    const fileBytes = new Uint8Array(await fileRequest.arrayBuffer());
    const fh = header({
      'content-type': fileRequest.headers.get('content-type')!,
      'content-length': String(fileBytes.length),
    });
    expect(await readFormToken(fh, csrf, { read: async () => fileBytes })).toBeNull();
  });

  it('regression (#13): never reads a form over maxFormBytes, a chunked one, or one without a length', async () => {
    const cases: Record<string, string>[] = [
      { 'content-type': FORM, 'content-length': String(64 * 1024 + 1) },
      { 'content-type': FORM, 'content-length': String(150 * 1024 * 1024) },
      { 'content-type': FORM, 'transfer-encoding': 'chunked' },
      { 'content-type': FORM, 'content-length': '10', 'transfer-encoding': 'chunked' },
      { 'content-type': FORM },
      { 'content-type': FORM, 'content-length': '-1' },
      { 'content-type': FORM, 'content-length': '1e3' },
      { 'content-type': 'application/json', 'content-length': '10' },
      { 'content-type': 'text/plain', 'content-length': '10' },
    ];
    for (const h of cases) {
      const s = source('_csrf=x');
      expect(await readFormToken(header(h), csrf, s), JSON.stringify(h)).toBeNull();
      expect(s.calls, JSON.stringify(h)).toEqual([]);
    }
  });

  it('regression (#13): a malformed multipart body or a failing read gives no token, never a throw', async () => {
    const bad = new TextEncoder().encode('--b\r\nnot a part\r\n--b--');
    const h = header({
      'content-type': 'multipart/form-data; boundary=zzz',
      'content-length': String(bad.length),
    });
    expect(await readFormToken(h, csrf, { read: async () => bad })).toBeNull();
    const h2 = header({ 'content-type': FORM, 'content-length': '5' });
    expect(
      await readFormToken(h2, csrf, {
        read: async () => {
          throw new Error('aborted');
        },
      }),
    ).toBeNull();
  });

  it("a body the app's parser already read is used as it is, and not read again", async () => {
    const s = source('_csrf=raw');
    const h = header({ 'content-type': FORM, 'content-length': '9' });
    expect(await readFormToken(h, csrf, { parsed: () => ({ _csrf: 'parsed' }), read: s.read })).toBe(
      'parsed',
    );
    expect(await readFormToken(h, csrf, { parsed: () => ({ other: 1 }), read: s.read })).toBeNull();
    expect(s.calls).toEqual([]);
  });
});
