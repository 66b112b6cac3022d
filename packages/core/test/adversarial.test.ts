/**
 * Adversarial cases that are pure core (no HTTP needed, or not expressible over fetch).
 * The same attacks over real HTTP, on every adapter and store, live in the testing kit's
 * adversarial suite (packages/testing/src/adversarial-contract.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instrumentStore } from '../../testing/src/instrumented-store.js';
import {
  createSessionManager,
  isSessionError,
  ManualClock,
  MemoryStore,
  type ResponseHeaders,
  resolveCookieOptions,
  type SessionEvent,
  type SessionManagerOptions,
  serializeCookie,
  TokenCodec,
} from '../src/index.js';

const KEY = { id: 'k1', secret: 'core-adversarial-signing-key-0123456789abcdef' };
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function request(cookie?: string, method = 'GET') {
  return {
    method,
    header: (name: string) => (name === 'cookie' ? cookie : undefined),
    ip: '198.51.100.7',
    selfOrigin: 'https://app.test',
  };
}

function sessionCookie(headers: ResponseHeaders): string {
  const line = headers.find(([k, v]) => k === 'set-cookie' && v.startsWith('__Host-sid='))?.[1];
  return line!.split(';')[0]!;
}

function setup(options: Partial<SessionManagerOptions> = {}) {
  const store = instrumentStore(new MemoryStore({ warnInProduction: false }));
  const events: SessionEvent[] = [];
  const manager = createSessionManager({
    store,
    clock: new ManualClock(),
    keys: [KEY],
    onEvent: (e) => events.push(e),
    ...options,
  });
  return { store, events, manager };
}

function configError(options: Partial<SessionManagerOptions>): string | undefined {
  try {
    createSessionManager({ store: new MemoryStore({ warnInProduction: false }), ...options });
  } catch (error) {
    return isSessionError(error, 'invalid_config') ? error.message : `not invalid_config: ${String(error)}`;
  }
  return undefined;
}

// Only options that end up in a response header; trustedOrigins are compared, never emitted.
describe('header injection through options is refused at start-up', () => {
  const evil = ['\r\nSet-Cookie: admin=1', '\nX: 1', 'a;b', 'a; Domain=evil.example', '\u0000', 'a b'];
  it.each(evil)('cookie name, path, domain and CSRF names containing %j', (bad) => {
    const cases: Partial<SessionManagerOptions>[] = [
      { cookie: { name: `sid${bad}` } },
      { cookie: { name: `sid${bad}`, secure: false } },
      { cookie: { path: `/app${bad}` } },
      { cookie: { name: 'sid', domain: `app.example${bad}` } },
      { csrf: { cookieName: `csrf${bad}` } },
      { csrf: { headerName: `x-csrf${bad}` } },
      { tokenHeader: `x-token${bad}` },
    ];
    for (const options of cases) {
      // A space is legal in a path; everything else here must be refused.
      if (bad === 'a b' && options.cookie?.path) continue;
      expect(configError(options), JSON.stringify(options)).toBeDefined();
      expect(configError(options)).not.toMatch(/^not invalid_config/);
    }
  });

  it('the error names the option and never echoes a working header', () => {
    expect(configError({ cookie: { path: '/\r\nSet-Cookie: x=1' } })).toMatch(/path/);
    expect(configError({ cookie: { name: 'sid;Path=/admin' } })).toMatch(/cookie name/);
  });
});

describe('cookie names that only look like the session cookie', () => {
  it('a leading U+00A0, percent-encoding or another case never match, cost no store call and emit no token', async () => {
    const { manager, store, events } = setup();
    const rs = await manager.begin(request());
    rs.session.set('a', 1);
    const good = sessionCookie(await rs.commit()).slice('__Host-sid='.length);
    store.reset();
    events.length = 0;
    for (const cookie of [
      `\u00A0__Host-sid=${good}`,
      `__Host-sid\u00A0=${good}`,
      `\uFEFF__Host-sid=${good}`,
      `%5F%5FHost-sid=${good}`,
      `__HOST-sid=${good}`,
      `__Host-sid=\u00A0${good}`,
    ]) {
      const r = await manager.begin(request(cookie));
      expect(r.session.get('a'), JSON.stringify(cookie)).toBeUndefined();
    }
    expect(store.total()).toBe(0);
    expect(JSON.stringify(events)).not.toContain(good);
  });
});

describe('signatures', () => {
  it('no single-character change of a signed token verifies (every position, every base64url character)', () => {
    const codec = new TokenCodec({ keys: [KEY] });
    const token = codec.toCookieValue(codec.mint('shard7'));
    let tried = 0;
    for (let i = 0; i < token.length; i++) {
      for (const c of `${B64}.`) {
        if (c === token[i]) continue;
        const changed = token.slice(0, i) + c + token.slice(i + 1);
        tried++;
        if (codec.parse(changed).ok) expect.fail(`accepted ${changed} (position ${i})`);
      }
    }
    expect(tried).toBeGreaterThan(token.length * 60);
    expect(codec.parse(token).ok).toBe(true);
  });

  it('arbitrary strings never throw and never verify (5,000 runs)', () => {
    const codec = new TokenCodec({ keys: [KEY] });
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 260 }), (value) => {
        expect(codec.parse(value).ok).toBe(false);
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('re-authentication', () => {
  it('a second login on an authenticated session issues a new token and ends the previous one', async () => {
    const { manager } = setup();
    const first = await manager.begin(request(undefined, 'POST'));
    await first.session.login('alice');
    const a = sessionCookie(await first.commit());
    const again = await manager.begin(request(a, 'POST'));
    await again.session.login('alice');
    const b = sessionCookie(await again.commit());
    expect(b).not.toBe(a);
    expect((await manager.begin(request(a))).session.authenticated).toBe(false);
    expect((await manager.begin(request(b))).session.userId).toBe('alice');
    expect(await manager.listSessions('alice')).toHaveLength(1);
  });
});

describe('cookie size', () => {
  it('the largest session Set-Cookie the core can produce is far below 4096 bytes', () => {
    const codec = new TokenCodec({ keys: [{ id: 'k'.repeat(16), secret: KEY.secret }] });
    const value = codec.toCookieValue(codec.mint('z'.repeat(16)));
    const options = resolveCookieOptions({
      name: '__Secure-session',
      domain: `${'a'.repeat(60)}.example.com`,
      path: `/${'p'.repeat(100)}`,
      sameSite: 'none',
      partitioned: true,
      persistent: true,
    });
    const line = serializeCookie(options, value, { maxAge: 8 * 3600 });
    expect(line.length).toBeLessThan(512);
    expect(`__Secure-session=${value}`.length).toBeLessThan(200);
  });
});
