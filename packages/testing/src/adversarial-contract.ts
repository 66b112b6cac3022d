/**
 * The adversarial suite: what an attacker can send, and what a racing or misbehaving world
 * can do, against an adapter's TEST APP (the same app and `makeApp(manager)` as the adapter
 * contract, see adapter-contract.ts) over real HTTP. Every case asserts the safe behaviour
 * and that nothing answered 5xx.
 *
 *   describeAdversarialContract({ name: 'hono', makeApp, store: { name: 'redis', make: () => redisStore({ client }) } });
 *
 * The suite builds its managers itself over one instrumented store: the main one (key ring
 * `[k1]`, cap 3 with `onLimit: 'reject'`, 2 h absolute, 30 min idle), an unsigned one (no key
 * ring: well-formed tokens reach the store), and, for key rotation, `[k2, k1]` then `[k2]`.
 * A gate in front of the store holds chosen operations to force interleavings (a slow
 * in-flight request, two rotations of one token) instead of hoping for them.
 */
import { createHash } from 'node:crypto';
import { xxh32, xxh64 } from '@node-rs/xxhash';
import {
  createSessionManager,
  ManualClock,
  MemoryStore,
  type SessionEvent,
  type SessionKey,
  type SessionManager,
  type SessionManagerOptions,
  type SessionStore,
  type StoredSession,
  sizeOfData,
  TokenCodec,
} from '@tessera/session-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Browser, type ContractStore, type Reply, type TestServer } from './adapter-contract.js';
import { describeCsrfDefaults } from './adversarial-csrf.js';
import { randomId } from './fixtures.js';
import {
  type InstrumentedStore,
  instrumentStore,
  STORE_OPERATIONS,
  type StoreOperation,
} from './instrumented-store.js';

export interface AdversarialContractOptions {
  /** Shown in the suite title. */
  readonly name: string;
  /** Build and start the adapter contract's TEST APP on `manager`. Called up to four times. */
  readonly makeApp: (manager: SessionManager) => Promise<TestServer>;
  /** Backend under the managers. @default an in-process MemoryStore */
  readonly store?: ContractStore;
  /**
   * Overwrite the stored record of `key` with bytes the store's own decoder must refuse,
   * bypassing the store API (e.g. a raw `HSET` with an unknown version). The suite always
   * also corrupts records through the store API (bad JSON, unknown version, prototype
   * keys); this adds the store's own layout. @default undefined (API-level cases only)
   */
  readonly corrupt?: (key: SessionKey) => Promise<void>;
  /** Per-test timeout, ms. @default 15000 */
  readonly timeoutMs?: number;
  /**
   * The framework reads request bodies itself, bounded by its own limit, before the session's
   * CSRF check runs (NestJS's body parser): an oversize form then gets that parser's 413, and
   * a chunked form's token (read by the app's parser, not by Tessera) counts. @default false
   */
  readonly bodyParsedFirst?: boolean;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const SID = '__Host-sid';
const K1 = { id: 'k1', secret: 'adversarial-suite-signing-key-one-0123456789' };
const K2 = { id: 'k2', secret: 'adversarial-suite-signing-key-two-0123456789' };
const CAP = 3;
const IDLE = 30 * MIN;
const ABSOLUTE = 2 * HOUR;
const GATE_WAIT_MS = 5_000;
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Holds calls of one store operation until released, to force a given interleaving. */
class Gate {
  #op: StoreOperation | null = null;
  #want = 0;
  #waiting: (() => void)[] = [];
  #arrived: (() => void) | null = null;

  /** Hold every `op` call; resolves once `count` of them are waiting (or fails after 5 s). */
  arm(op: StoreOperation, count: number): Promise<void> {
    this.#op = op;
    this.#want = count;
    const arrived = new Promise<void>((resolve) => {
      this.#arrived = resolve;
    });
    return withTimeout(arrived, GATE_WAIT_MS, `${count} ${op} call(s) to arrive`);
  }

  async pass(op: StoreOperation): Promise<void> {
    if (op !== this.#op) return;
    await new Promise<void>((resolve) => {
      this.#waiting.push(resolve);
      if (this.#waiting.length >= this.#want) this.#arrived?.();
    });
  }

  release(): void {
    this.#op = null;
    this.#arrived = null;
    for (const resume of this.#waiting.splice(0)) resume();
  }
}

function gated(inner: InstrumentedStore, gate: Gate): SessionStore {
  const store: Record<string, unknown> = {
    name: inner.name,
    capabilities: inner.capabilities,
    close: () => Promise.resolve(),
  };
  if (inner.limits) store.limits = inner.limits;
  if (inner.shardTag) store.shardTag = (userId: string | null) => inner.shardTag!(userId);
  for (const op of STORE_OPERATIONS) {
    store[op] = async (...args: unknown[]) => {
      await gate.pass(op);
      return (inner[op] as (...a: unknown[]) => Promise<unknown>).apply(inner, args);
    };
  }
  return store as unknown as SessionStore;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The routing tag of a cookie value (see the token grammar in the core's token.ts), or ''. */
function tagOf(token: string): string {
  const parts = token.split('.');
  return parts.length === 2 || parts.length === 4 ? parts[0]! : '';
}

/**
 * Unkeyed hashes of a user id, in the encodings a tag could be cut from: a tag that is the
 * start or the end of one of these for every user is a plain hash of the id, whoever can
 * read a token can compute it, and a small id space falls to brute force.
 */
function unkeyedHashesOf(userId: string): [string, string][] {
  const out: [string, string][] = [
    ['the user id itself', userId.toLowerCase()],
    ['xxh32 base36', xxh32(userId).toString(36)],
    ['xxh32 hex', xxh32(userId).toString(16)],
    ['xxh64 base36', xxh64(userId).toString(36)],
    ['xxh64 hex', xxh64(userId).toString(16)],
  ];
  for (const algorithm of ['sha256', 'sha1', 'md5']) {
    const digest = createHash(algorithm).update(userId).digest();
    out.push([`${algorithm} hex`, digest.toString('hex')]);
    out.push([`${algorithm} base36 (32 bits)`, digest.readUInt32BE(0).toString(36)]);
    out.push([`${algorithm} base36 (64 bits)`, digest.readBigUInt64BE(0).toString(36)]);
  }
  return out;
}

/** The same token with one base64url character changed at `index` (a different, canonical value). */
function flipAt(token: string, index: number): string {
  const c = token[index]!;
  const i = B64.indexOf(c);
  // Toggle a high bit of the sextet, so even the last (partly padding) character changes bytes.
  const next = i === -1 ? 'A' : B64[i ^ 0b100000]!;
  return token.slice(0, index) + next + token.slice(index + 1);
}

/** The Browser of the contract suite, recording every status it saw (5xx fails the test). */
class Client extends Browser {
  constructor(
    base: string,
    readonly seen: number[],
  ) {
    super(base);
  }

  override async send(...args: Parameters<Browser['send']>): Promise<Reply> {
    const r = await super.send(...args);
    this.seen.push(r.status);
    return r;
  }

  /** Create an anonymous session (one write) and answer its token. */
  async anonymous(): Promise<string> {
    await this.state();
    const r = await this.send('POST', '/set', { json: { key: 'seed', value: 1 } });
    expect(r.status).toBe(204);
    // The session's own CSRF token from now on (not the pre-session one).
    await this.state();
    return this.jar.get(SID)!;
  }

  async signIn(userId: string): Promise<string> {
    const r = await this.login(userId);
    expect(r.status).toBe(200);
    return this.jar.get(SID)!;
  }
}

interface StateBody {
  authenticated: boolean;
  userId: string | null;
  data: Record<string, unknown>;
}

export function describeAdversarialContract(options: AdversarialContractOptions): void {
  const timeout = options.timeoutMs ?? 15_000;
  const storeName = options.store?.name ?? 'memory';

  describe.skipIf(options.store?.skip === true)(`adversarial: ${options.name} (${storeName} store)`, () => {
    // A day ahead of the wall clock: stores that also set server-side TTLs never see the past.
    const clock = new ManualClock(Date.now() + 24 * HOUR);
    const gate = new Gate();
    const events: SessionEvent[] = [];
    const seen: number[] = [];
    const servers: TestServer[] = [];
    let inner: SessionStore;
    let store: InstrumentedStore;
    let shared: SessionStore;
    let manager: SessionManager;
    let app: TestServer;
    let unsigned: TestServer;

    const managerWith = (extra: Partial<SessionManagerOptions>): SessionManager =>
      createSessionManager({
        store: shared,
        clock,
        maxSessionsPerUser: CAP,
        onLimit: 'reject',
        idleTimeoutMs: IDLE,
        absoluteTimeoutMs: ABSOLUTE,
        storeTimeoutMs: 2_000,
        onEvent: (e) => events.push(e),
        ...extra,
      });
    const start = async (m: SessionManager): Promise<TestServer> => {
      const server = await options.makeApp(m);
      servers.push(server);
      return server;
    };
    const client = (server: TestServer = app) => new Client(server.url, seen);
    const user = () => `adv-${randomId().slice(0, 12)}`;
    const codec = new TokenCodec({ keys: [K1] });
    const keyOfToken = (token: string): SessionKey => {
      const parsed = codec.parse(token);
      if (!parsed.ok) throw new Error(`not a k1 token: ${parsed.reason}`);
      return codec.keyOf(parsed.sid, parsed.tag);
    };
    const rejected = () => events.filter((e) => e.type === 'rejected').map((e) => e.reason);
    const anonymousWith = async (cookie: string, server: TestServer = app) => {
      const r = await client(server).send('GET', '/state', { headers: { cookie } });
      expect(r.status, cookie.slice(0, 80)).toBe(200);
      const body = r.body as StateBody;
      return body.authenticated === false && body.userId === null && Object.keys(body.data).length === 0;
    };
    const authenticatedWith = async (token: string, server: TestServer = app) => {
      const r = await client(server).send('GET', '/state', { headers: { cookie: `${SID}=${token}` } });
      expect(r.status).toBe(200);
      return (r.body as StateBody).authenticated;
    };

    beforeAll(async () => {
      inner = options.store ? await options.store.make() : new MemoryStore({ warnInProduction: false });
      store = instrumentStore(inner);
      shared = gated(store, gate);
      manager = managerWith({ keys: [K1] });
      app = await start(manager);
      unsigned = await start(managerWith({}));
    }, 60_000);
    afterAll(async () => {
      gate.release();
      for (const server of servers) await server.close();
      await options.store?.teardown?.();
    }, 60_000);
    beforeEach(() => {
      gate.release();
      store.mode = 'up';
      store.reset();
      events.length = 0;
      seen.length = 0;
      clock.advance(HOUR);
    });
    afterEach(() => {
      gate.release();
      expect(
        seen.filter((s) => s >= 500),
        'no request may answer 5xx',
      ).toEqual([]);
    });

    describe('the Cookie header', () => {
      it(
        'empty and whitespace-only Cookie headers are anonymous and cost no store call',
        async () => {
          for (const cookie of ['', ' ', '\t', ';', ' ; ; ', '=', `${SID}=`, `${SID}= `, `${SID}`]) {
            expect(await anonymousWith(cookie), JSON.stringify(cookie)).toBe(true);
          }
          expect(store.total()).toBe(0);
        },
        timeout,
      );

      it(
        'malformed tokens (bad base64url, wrong length, extra dots, bare signature prefix) are anonymous, rejected as malformed or forged, with no store call',
        async () => {
          const b = client();
          const good = await b.anonymous();
          const [rand = '', kid = '', sig = ''] = good.split('.').slice(-3);
          store.reset();
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
          expect(store.total()).toBe(0);
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
          store.reset();
          const cookie = `${'p=1; '.repeat(13_107)}${SID}=${good}`;
          let status: number | 'closed';
          try {
            const r = await fetch(`${app.url}/state`, { headers: { cookie } });
            status = r.status;
            const text = await r.text();
            if (status === 200) expect((JSON.parse(text) as StateBody).authenticated).toBe(false);
          } catch {
            // Node may close the socket after its 431 while fetch is still writing.
            status = 'closed';
          }
          expect([431, 200, 'closed']).toContain(status);
          expect(store.total()).toBe(0);
          expect((await b.state()).body.data).toEqual({ seed: 1 });
        },
        timeout,
      );

      it(
        '10,000 cookie pairs (and 5,000 named ones) under the header limit: the session past the pair bound is never looked at',
        async () => {
          const b = client();
          const good = await b.anonymous();
          store.reset();
          const many = [`${';'.repeat(9_999)}${SID}=${good}`, `${'c=;'.repeat(5_000)}${SID}=${good}`];
          for (const cookie of many) expect(await anonymousWith(cookie)).toBe(true);
          expect(store.total()).toBe(0);
          // The same flood after the session cookie does not hide it.
          const first = await b.send('GET', '/state', {
            headers: { cookie: `${SID}=${good};${'c=;'.repeat(5_000)}` },
          });
          expect((first.body as StateBody).data).toEqual({ seed: 1 });
          expect(store.total()).toBe(1);
        },
        timeout,
      );

      it(
        'look-alike and duplicate names: %5F%5FHost-sid, a leading U+00A0, lower case, bare `sid`, differing duplicates are anonymous; identical duplicates and a stray `sid` beside it are not confused',
        async () => {
          const b = client();
          const good = await b.anonymous();
          const other = await client().anonymous();
          store.reset();
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
          expect(store.total()).toBe(0);
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
          store.reset();
          for (const cookie of ['__proto__=1', 'constructor=x; prototype=y', '__proto__[polluted]=1']) {
            expect(await anonymousWith(cookie)).toBe(true);
          }
          expect(store.total()).toBe(0);
          const r = await b.send('GET', '/state', {
            headers: { cookie: `__proto__=x; constructor=y; ${SID}=${good}; toString=z` },
          });
          expect((r.body as StateBody).data).toEqual({ seed: 1 });
          expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
        },
        timeout,
      );
    });

    describe('session data keys', () => {
      it(
        'POST /set with a __proto__, constructor or prototype key (or one nested in the value) is refused with 400, never 5xx, and pollutes nothing',
        async () => {
          const b = client();
          await b.anonymous();
          const attempts = [
            { key: '__proto__', value: { polluted: true } },
            { key: 'constructor', value: { prototype: { polluted: true } } },
            { key: 'prototype', value: 1 },
            { key: 'x', value: JSON.parse('{"__proto__":{"polluted":true}}') as unknown },
            { key: 'y', value: [{ constructor: { prototype: { polluted: true } } }] },
          ];
          const statuses: number[] = [];
          for (const json of attempts) statuses.push((await b.send('POST', '/set', { json })).status);
          expect(statuses).toEqual(attempts.map(() => 400));
          expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
          expect((await b.state()).body.data).toEqual({ seed: 1 });
        },
        timeout,
      );
    });

    // Issue #13 item 2: one anonymous client built a 4 MB session that stalled a shared Redis.
    // The managers run the default limits: 64 KiB of data, 256 keys.
    describe('bounded data', () => {
      const TOO_LARGE = { status: 413, body: { error: 'session_too_large' } };

      it(
        'one value past 64 KiB: 413 { error: "session_too_large" }, nothing written, the data as it was; without a session none is created',
        async () => {
          const b = client();
          await b.anonymous();
          store.reset();
          const big = { key: 'big', value: 'x'.repeat(70_000) };
          expect(await b.send('POST', '/set', { json: big })).toMatchObject(TOO_LARGE);
          expect(store.counts.update).toBe(0);
          expect((await b.state()).body.data).toEqual({ seed: 1 });

          const fresh = client();
          await fresh.state();
          store.reset();
          const r = await fresh.send('POST', '/set', { json: big });
          expect(r).toMatchObject(TOO_LARGE);
          expect(r.sid).toEqual([]);
          expect(store.counts.create).toBe(0);
        },
        timeout,
      );

      it(
        'keys past 256: the 257th is 413 and the 256 stay; a key already there still changes',
        async () => {
          const b = client();
          await b.anonymous();
          const keys = Array.from({ length: 255 }, (_, i) => `k${i}`);
          for (let i = 0; i < keys.length; i += 32) {
            const batch = keys.slice(i, i + 32);
            const replies = await Promise.all(
              batch.map((key) => b.send('POST', '/set', { json: { key, value: 1 } })),
            );
            expect(replies.map((r) => r.status)).toEqual(batch.map(() => 204));
          }
          store.reset();
          expect(await b.send('POST', '/set', { json: { key: 'one-more', value: 1 } })).toMatchObject(
            TOO_LARGE,
          );
          expect(store.counts.update).toBe(0);
          expect((await b.send('POST', '/set', { json: { key: 'k0', value: 2 } })).status).toBe(204);
          const data = (await b.state()).body.data;
          expect(Object.keys(data)).toHaveLength(256);
          expect(data).toMatchObject({ seed: 1, k0: 2, k254: 1 });
          expect(data['one-more']).toBeUndefined();
        },
        timeout,
      );

      it(
        'two parallel writes that fit alone but not together: one is 413 (the store refuses it), the data stays within 64 KiB',
        async () => {
          const b = client();
          const token = await b.anonymous();
          const held = gate.arm('update', 2);
          const writes = ['a', 'b'].map((key) =>
            b.send('POST', '/set', { json: { key, value: key.repeat(40_000) } }),
          );
          await held;
          gate.release();
          const replies = await Promise.all(writes);
          expect(replies.map((r) => r.status).sort()).toEqual([204, 413]);
          expect(replies.find((r) => r.status === 413)?.body).toEqual(TOO_LARGE.body);
          const record = await inner.load(keyOfToken(token), { now: clock.now(), touchIntervalMs: HOUR });
          expect(record.status).toBe('found');
          if (record.status !== 'found') return;
          expect(Object.keys(record.session.data)).toHaveLength(2);
          expect(sizeOfData(record.session.data).bytes).toBeLessThanOrEqual(65_536);
          expect(events.filter((e) => e.type === 'store-error')).toEqual([]);
        },
        timeout,
      );

      it(
        'JSON nested 100 levels deep is 400 invalid_data, nothing written; 64 levels and a 60 KB value pass',
        async () => {
          const b = client();
          await b.anonymous();
          const nested = (depth: number) =>
            JSON.parse(`${'['.repeat(depth)}1${']'.repeat(depth)}`) as unknown;
          store.reset();
          const deep = await b.send('POST', '/set', { json: { key: 'deep', value: nested(100) } });
          expect(deep).toMatchObject({ status: 400, body: { error: 'invalid_data' } });
          expect(store.counts.update).toBe(0);
          expect((await b.send('POST', '/set', { json: { key: 'ok', value: nested(64) } })).status).toBe(204);
          const large = 'é'.repeat(30_000);
          expect((await b.send('POST', '/set', { json: { key: 'large', value: large } })).status).toBe(204);
          expect((await b.state()).body.data).toEqual({ seed: 1, ok: nested(64), large });
        },
        timeout,
      );
    });

    describe('signatures and unknown tokens', () => {
      it(
        'bit-flipped (in the id, the key id and the signature), truncated, wrong-key and unsigned tokens cost no store call',
        async () => {
          const b = client();
          const good = await b.anonymous();
          const parts = good.split('.');
          const sig = parts.at(-1)!;
          const rand = parts.at(-3)!;
          const prefix = parts
            .slice(0, -3)
            .map((p) => `${p}.`)
            .join('');
          const randAt = prefix.length;
          const sigAt = good.length - sig.length;
          const foreign = new TokenCodec({
            keys: [{ id: 'k1', secret: 'an-attacker-guess-at-the-signing-key-xyz' }],
          });
          const tampered = [
            flipAt(good, randAt),
            flipAt(good, randAt + 21),
            flipAt(good, randAt + 42),
            flipAt(good, sigAt),
            flipAt(good, sigAt + 20),
            flipAt(good, good.length - 1),
            `${prefix}${rand}.k9.${sig}`,
            good.slice(0, -1),
            good.slice(0, -10),
            good.slice(0, sigAt - 1),
            foreign.toCookieValue(prefix + rand),
            prefix + rand,
          ];
          store.reset();
          events.length = 0;
          for (const value of tampered) {
            expect(value).not.toBe(good);
            expect(await anonymousWith(`${SID}=${value}`), value).toBe(true);
          }
          expect(store.total()).toBe(0);
          expect(rejected()).toHaveLength(tampered.length);
          expect((await b.state()).body.data).toEqual({ seed: 1 });
        },
        timeout,
      );

      it(
        'a well-formed, correctly signed but never-issued token is not adopted: one load, a `rejected` event, no record created, and a write gets a new token',
        async () => {
          const planted = codec.toCookieValue(codec.mint(inner.shardTag?.(null) ?? ''));
          const b = client();
          b.jar.set(SID, planted);
          store.reset();
          events.length = 0;
          const r = await b.state();
          expect(r.body.authenticated).toBe(false);
          expect(store.counts.load).toBe(1);
          expect(store.total()).toBe(1);
          expect(rejected()).toEqual(['unknown']);
          const write = await b.send('POST', '/set', { json: { key: 'k', value: 1 } });
          expect(write.status).toBe(204);
          expect(store.counts.create).toBe(1);
          expect(b.jar.get(SID)).toBeDefined();
          expect(b.jar.get(SID)).not.toBe(planted);
          expect(
            (await inner.load(keyOfToken(planted), { now: clock.now(), touchIntervalMs: MIN })).status,
          ).not.toBe('found');
        },
        timeout,
      );

      it('1,000 random well-formed tokens from one client (no key ring): no record created, one `rejected` event and exactly one store call each', async () => {
        const tag = inner.shardTag?.(null) ?? '';
        const n = 1_000;
        const b = client(unsigned);
        for (let i = 0; i < n; i++) {
          const token = tag ? `${tag}.${codec.randomToken()}` : codec.randomToken();
          const r = await b.send('GET', '/state', { headers: { cookie: `${SID}=${token}` } });
          expect(r.status).toBe(200);
          if ((r.body as StateBody).authenticated) expect.fail(`random token ${i} was adopted`);
        }
        expect(store.counts.load).toBe(n);
        expect(store.total()).toBe(n);
        expect(store.counts.create).toBe(0);
        const reasons = rejected();
        expect(reasons).toHaveLength(n);
        expect(new Set(reasons)).toEqual(new Set(['unknown']));
      }, 30_000);
    });

    describe('what a token reveals', () => {
      it(
        'token tag not the unkeyed hash: a signed-in token carries no tag, or one no unkeyed hash of the user id predicts',
        async () => {
          const ids = [user(), user(), user()];
          const tags: string[] = [];
          for (const id of ids) tags.push(tagOf(await client().signIn(id)));
          ids.forEach((id, i) => {
            // Nothing but the store's routing tag for the user (or nothing at all) is in the token.
            expect(tags[i]).toBe(inner.shardTag?.(id) ?? '');
            if (tags[i] !== '') expect(tags[i], 'xxh32(userId) base36').not.toBe(xxh32(id).toString(36));
          });
          if (tags.every((t) => t === '')) return;
          // Three users, so a keyed tag matching one of these by chance (~1e-6) never fails the case.
          const hashes = ids.map(unkeyedHashesOf);
          hashes[0]!.forEach(([name], j) => {
            const predicted = ids.every((_, i) => {
              const hash = hashes[i]![j]![1];
              return tags[i] !== '' && (hash.startsWith(tags[i]!) || hash.endsWith(tags[i]!));
            });
            expect(predicted, `the tags are cut from ${name} of the user id`).toBe(false);
          });
        },
        timeout,
      );
    });

    describe('lifecycle attacks', () => {
      it(
        "fixation: an attacker's planted pre-login token is dead after the victim logs in",
        async () => {
          const attacker = client();
          const planted = await attacker.anonymous();
          const victim = client();
          victim.jar.set(SID, planted);
          const id = user();
          const fresh = await victim.signIn(id);
          expect(fresh).not.toBe(planted);
          expect(await authenticatedWith(fresh)).toBe(true);
          expect(await anonymousWith(`${SID}=${planted}`)).toBe(true);
          const probe = await attacker.send('GET', '/protected');
          expect(probe.status).toBe(401);
        },
        timeout,
      );

      it(
        'replay after logout: the old cookie and its CSRF token are dead',
        async () => {
          const b = client();
          const token = await b.signIn(user());
          const csrf = b.csrf;
          expect((await b.send('POST', '/logout')).status).toBe(204);
          const replay = client();
          replay.jar.set(SID, token);
          expect((await replay.send('GET', '/protected')).status).toBe(401);
          const write = await replay.send('POST', '/set', {
            json: { key: 'k', value: 1 },
            headers: { 'x-csrf-token': csrf },
          });
          expect(write.status).toBe(403);
          expect((await replay.send('POST', '/logout', { headers: { 'x-csrf-token': csrf } })).status).toBe(
            403,
          );
        },
        timeout,
      );

      it(
        'logout racing a slow in-flight write: the late write does not resurrect the session',
        async (ctx) => {
          if (!store.capabilities.noResurrect) {
            ctx.skip(true, 'capabilities.noResurrect is false: a late write may recreate the record');
            return;
          }
          const b = client();
          const token = await b.signIn(user());
          const arrived = gate.arm('update', 1);
          const slow = b.send('POST', '/set', { json: { key: 'late', value: 1 } });
          await arrived;
          const out = await client().send('POST', '/logout', {
            headers: { cookie: `${SID}=${token}`, 'x-csrf-token': b.csrf },
          });
          expect(out.status).toBe(204);
          gate.release();
          const late = await slow;
          expect(late.status).toBeLessThan(500);
          // The late request learns the session is gone and tells the browser to drop it.
          expect(late.sid.some((line) => /Max-Age=0/.test(line))).toBe(true);
          expect(await anonymousWith(`${SID}=${token}`)).toBe(true);
          const stored = await inner.load(keyOfToken(token), { now: clock.now(), touchIntervalMs: MIN });
          expect(stored.status).not.toBe('found');
        },
        timeout,
      );

      it(
        'two concurrent logins from one token: exactly one new token works, the old one is dead',
        async (ctx) => {
          if (!store.capabilities.atomicRotate) {
            ctx.skip(true, 'capabilities.atomicRotate is false');
            return;
          }
          const b = client();
          const token = await b.anonymous();
          const id = user();
          const arrived = gate.arm('rotate', 2);
          const headers = { cookie: `${SID}=${token}`, 'x-csrf-token': b.csrf };
          const logins = [0, 1].map(() => client().send('POST', '/login', { json: { userId: id }, headers }));
          await arrived;
          gate.release();
          const replies = await Promise.all(logins);
          const statuses = replies.map((r) => r.status).sort();
          expect(statuses).toEqual([200, 409]);
          const issued = replies
            .flatMap((r) => r.sid)
            .map((line) => line.split(';')[0]!.slice(SID.length + 1))
            .filter((v) => v !== '');
          expect(issued).toHaveLength(1);
          expect(await authenticatedWith(issued[0]!)).toBe(true);
          expect(await anonymousWith(`${SID}=${token}`)).toBe(true);
          expect((await manager.listSessions(id)).length).toBe(1);
        },
        timeout,
      );

      it(
        'idle boundary: valid at T−1 ms, expired at T and at T+1 ms',
        async () => {
          const t0 = clock.now();
          const tokens = [];
          for (let i = 0; i < 3; i++) tokens.push(await client().signIn(user()));
          expect(clock.now()).toBe(t0);
          const expected = [true, false, false];
          for (const [i, offset] of [-1, 0, 1].entries()) {
            clock.set(t0 + IDLE + offset);
            expect(await authenticatedWith(tokens[i]!), `T${offset >= 0 ? '+' : ''}${offset} ms`).toBe(
              expected[i],
            );
          }
        },
        timeout,
      );

      it(
        'absolute deadline under constant activity: valid at T−1 ms, dead at T',
        async () => {
          const t0 = clock.now();
          const token = await client().signIn(user());
          for (let t = 10 * MIN; t < ABSOLUTE; t += 10 * MIN) {
            clock.set(t0 + t);
            expect(await authenticatedWith(token), `at ${t / MIN} min`).toBe(true);
          }
          clock.set(t0 + ABSOLUTE - 1);
          expect(await authenticatedWith(token)).toBe(true);
          clock.set(t0 + ABSOLUTE);
          expect(await authenticatedWith(token)).toBe(false);
        },
        timeout,
      );

      it(
        'the clock stepping backwards buys no idle time and no absolute time',
        async () => {
          const t0 = clock.now();
          const token = await client().signIn(user());
          const idler = await client().signIn(user());
          clock.set(t0 - HOUR);
          expect(await authenticatedWith(token)).toBe(true);
          expect(await authenticatedWith(idler)).toBe(true);
          clock.set(t0 + IDLE);
          expect(await authenticatedWith(idler)).toBe(false);
          for (let t = t0; t < t0 + ABSOLUTE; t += 20 * MIN) {
            clock.set(t);
            expect(await authenticatedWith(token)).toBe(true);
          }
          clock.set(t0 + ABSOLUTE);
          expect(await authenticatedWith(token)).toBe(false);
          clock.set(t0 + ABSOLUTE + MIN);
        },
        timeout,
      );

      it(
        'a session seen expired stays dead when the clock then steps backwards (no revival)',
        async () => {
          const t0 = clock.now();
          const idle = await client().signIn(user());
          const absolute = await client().signIn(user());
          clock.set(t0 + IDLE);
          expect(await authenticatedWith(idle)).toBe(false);
          for (let t = t0 + 20 * MIN; t < t0 + ABSOLUTE; t += 20 * MIN) {
            clock.set(t);
            expect(await authenticatedWith(absolute)).toBe(true);
          }
          clock.set(t0 + ABSOLUTE);
          expect(await authenticatedWith(absolute)).toBe(false);
          // An NTP step back (or a peer with a slower clock) must not bring either back.
          clock.set(t0 + MIN);
          expect(await authenticatedWith(idle), 'idle-expired session revived').toBe(false);
          expect(await authenticatedWith(absolute), 'absolute-expired session revived').toBe(false);
          clock.set(t0 + ABSOLUTE + MIN);
        },
        timeout,
      );

      it(
        `${CAP + 1} parallel logins at a cap of ${CAP} (reject): exactly ${CAP} succeed, one answers 409`,
        async () => {
          const id = user();
          const browsers = Array.from({ length: CAP + 1 }, () => client());
          for (const b of browsers) await b.state();
          const replies = await Promise.all(
            browsers.map((b) => b.send('POST', '/login', { json: { userId: id } })),
          );
          const statuses = replies.map((r) => r.status).sort();
          expect(statuses).toEqual([...Array(CAP).fill(200), 409]);
          expect(replies.find((r) => r.status === 409)!.body).toEqual({ error: 'session_limit' });
          expect(await manager.listSessions(id)).toHaveLength(CAP);
          let working = 0;
          for (const b of browsers) if ((await b.state()).body.authenticated) working++;
          expect(working).toBe(CAP);
        },
        timeout,
      );

      it(
        'revoke-all racing new logins: no session issued before the revoke survives it',
        async () => {
          for (let round = 0; round < 3; round++) {
            const id = user();
            const before = [await client().signIn(id), await client().signIn(id)];
            const racers = [client(), client()];
            for (const b of racers) await b.state();
            const [revoked, ...replies] = await Promise.all([
              manager.revokeAllSessions(id),
              ...racers.map((b) => b.send('POST', '/login', { json: { userId: id } })),
            ]);
            expect(revoked).toBeGreaterThanOrEqual(0);
            for (const r of replies) expect([200, 409]).toContain(r.status);
            for (const token of before) expect(await authenticatedWith(token), `round ${round}`).toBe(false);
            const live = await manager.listSessions(id);
            expect(live.length).toBeLessThanOrEqual(replies.filter((r) => r.status === 200).length);
          }
        },
        timeout,
      );
    });

    describe('defaults an attacker would abuse', () => {
      it(
        "planted data not carried: what an attacker put in an anonymous session is not in the victim's signed-in one (issue #13.3)",
        async () => {
          const attacker = client();
          const planted = await attacker.anonymous();
          for (const [key, value] of [
            ['returnTo', 'https://evil.example/phish'],
            ['oauthState', 'attacker-state'],
          ] as const) {
            expect((await attacker.send('POST', '/set', { json: { key, value } })).status).toBe(204);
          }
          const victim = client();
          victim.jar.set(SID, planted);
          expect((await victim.state()).body.data).toEqual({
            seed: 1,
            returnTo: 'https://evil.example/phish',
            oauthState: 'attacker-state',
          });
          const id = user();
          await victim.signIn(id);
          const after = await victim.state();
          expect(after.body).toMatchObject({ authenticated: true, userId: id });
          expect(after.body.data).toEqual({});
        },
        timeout,
      );

      it(
        'anonymous flood leaves signed-in users alone: a memory store full of anonymous sessions evicts only anonymous ones (issue #13.5)',
        async () => {
          const small = await start(
            managerWith({ store: new MemoryStore({ maxEntries: 50, warnInProduction: false }), keys: [K1] }),
          );
          const tokens: string[] = [];
          for (let i = 0; i < 5; i++) tokens.push(await client(small).signIn(user()));
          // Three times maxEntries, six times the anonymous cap (25), each a new anonymous session.
          for (let i = 0; i < 150; i++) {
            const b = client(small);
            await b.state();
            const r = await b.send('POST', '/set', { json: { key: 'flood', value: i } });
            expect(r.status).toBe(204);
          }
          for (const token of tokens) expect(await authenticatedWith(token, small)).toBe(true);
        },
        timeout,
      );
    });

    describe('where a token may come from', () => {
      it(
        'a session id offered in the query string or the body is ignored (no session adopted, no store call)',
        async () => {
          const b = client();
          const token = await b.signIn(user());
          const csrf = b.csrf;
          store.reset();
          const t = encodeURIComponent(token);
          const stranger = client();
          const q = await stranger.send('GET', `/state?${SID}=${t}&sid=${t}&session=${t}&token=${t}`);
          expect((q.body as StateBody).authenticated).toBe(false);
          const p = await stranger.send('GET', `/protected?${SID}=${t}`, {
            headers: { authorization: `Bearer ${token}`, 'x-session-token': token },
          });
          expect(p.status).toBe(401);
          const form = await stranger.send('POST', '/form', {
            form: `${SID}=${t}&sid=${t}&_csrf=${encodeURIComponent(csrf)}`,
            csrf: false,
          });
          expect(form.status).toBe(403);
          const json = await stranger.send('POST', '/set', {
            json: { key: 'k', value: 1, [SID]: token, sid: token },
            headers: { 'x-csrf-token': csrf },
          });
          expect(json.status).toBe(403);
          expect(store.total()).toBe(0);
        },
        timeout,
      );
    });

    describe('corrupt stored records', () => {
      const kinds: [string, (s: StoredSession) => StoredSession][] = [
        ['bad JSON in a value', (s) => ({ ...s, data: { ...s.data, seed: '{not json' } })],
        ['an unknown record version', (s) => ({ ...s, version: 7 as 1 })],
        [
          'a __proto__ data key',
          (s) => {
            const data: Record<string, string> = Object.create(null);
            Object.assign(data, s.data);
            // An own, enumerable "__proto__" key, as JSON.parse would produce it.
            Object.defineProperty(data, '__proto__', {
              value: '{"polluted":true}',
              enumerable: true,
              writable: true,
              configurable: true,
            });
            return { ...s, data };
          },
        ],
        ['a nested constructor key', (s) => ({ ...s, data: { ...s.data, seed: '{"constructor":{"a":1}}' } })],
      ];
      for (const [what, corrupt] of kinds) {
        it(
          `${what}: treated as absent, reported, deleted`,
          async () => {
            const b = client();
            const token = await b.anonymous();
            const key = keyOfToken(token);
            const now = clock.now();
            const found = await inner.load(key, { now, touchIntervalMs: MIN });
            expect(found.status).toBe('found');
            if (found.status !== 'found') return;
            // Written through the store's own API, so it lands in the store's real layout.
            await inner.destroy(key, { now, userId: null });
            expect(await inner.create(key, corrupt(found.session), { now })).toBe(true);
            events.length = 0;
            store.reset();
            const r = await b.state();
            expect(r.body).toMatchObject({ authenticated: false, data: {} });
            expect(rejected()).toEqual(['corrupt']);
            expect(['found', 'corrupt']).not.toContain(
              (await inner.load(key, { now: clock.now(), touchIntervalMs: MIN })).status,
            );
            expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
          },
          timeout,
        );
      }

      it.runIf(Boolean(options.corrupt))(
        "garbage in the store's own layout (raw write): treated as absent, reported, deleted",
        async () => {
          const b = client();
          const token = await b.anonymous();
          const key = keyOfToken(token);
          await options.corrupt!(key);
          events.length = 0;
          const r = await b.state();
          expect(r.body).toMatchObject({ authenticated: false, data: {} });
          expect(rejected()).toEqual(['corrupt']);
          expect(['found', 'corrupt']).not.toContain(
            (await inner.load(key, { now: clock.now(), touchIntervalMs: MIN })).status,
          );
        },
        timeout,
      );
    });

    describe('CSRF', () => {
      it(
        "a missing token, another session's token, a cross-site Sec-Fetch-Site and Origin: null are refused with 403 and write nothing",
        async () => {
          const b = client();
          await b.signIn(user());
          const other = client();
          await other.signIn(user());
          const attempts: { headers?: Record<string, string> }[] = [
            {},
            { headers: { 'x-csrf-token': other.csrf } },
            { headers: { 'x-csrf-token': b.csrf, 'sec-fetch-site': 'cross-site' } },
            { headers: { 'x-csrf-token': b.csrf, origin: 'null' } },
            { headers: { 'x-csrf-token': b.csrf, origin: 'https://evil.example' } },
          ];
          for (const [i, extra] of attempts.entries()) {
            const r = await b.send('POST', '/set', {
              json: { key: 'evil', value: i },
              csrf: false,
              ...extra,
            });
            expect(r.status, JSON.stringify(extra)).toBe(403);
            expect(r.body).toEqual({ error: 'csrf' });
          }
          expect((await b.state()).body.data).toEqual({});
        },
        timeout,
      );

      it(
        'login CSRF: a login POST without the matching pre-session cookie and token pair is refused',
        async () => {
          const victim = client();
          const attacker = client();
          await attacker.state();
          const forged = [
            // No cookie, no token (a cross-site form post with no prior visit).
            { headers: {} as Record<string, string> },
            // The attacker's own token, without the attacker's pre-session cookie.
            { headers: { 'x-csrf-token': attacker.csrf } },
          ];
          store.reset();
          for (const init of forged) {
            const r = await victim.send('POST', '/login', {
              json: { userId: 'attacker' },
              csrf: false,
              ...init,
            });
            expect(r.status).toBe(403);
          }
          // The victim has a pre-session cookie of their own; the attacker's token still fails.
          await victim.state();
          const mixed = await victim.send('POST', '/login', {
            json: { userId: 'attacker' },
            headers: { 'x-csrf-token': attacker.csrf },
          });
          expect(mixed.status).toBe(403);
          const noToken = await victim.send('POST', '/login', { json: { userId: 'attacker' }, csrf: false });
          expect(noToken.status).toBe(403);
          expect(store.total()).toBe(0);
          expect((await victim.state()).body.authenticated).toBe(false);
          const id = user();
          const ok = await victim.send('POST', '/login', { json: { userId: id } });
          expect(ok.status).toBe(200);
        },
        timeout,
      );
    });

    describeCsrfDefaults({
      url: () => app.url,
      store: () => store,
      user,
      timeout,
      bodyParsedFirst: options.bodyParsedFirst ?? false,
    });

    describe('key ring', () => {
      it(
        'rotation: an old-key token works while its key is listed and is refused (no store call) once removed',
        async () => {
          const both = await start(managerWith({ keys: [K2, K1] }));
          const onlyNew = await start(managerWith({ keys: [K2] }));
          const id = user();
          const old = await client().signIn(id);
          expect(old).toContain('.k1.');
          expect(await authenticatedWith(old, both)).toBe(true);
          const fresh = await client(both).signIn(user());
          expect(fresh).toContain('.k2.');
          expect(await authenticatedWith(fresh, both)).toBe(true);
          store.reset();
          events.length = 0;
          expect(await anonymousWith(`${SID}=${old}`, onlyNew)).toBe(true);
          expect(store.total()).toBe(0);
          expect(rejected()).toEqual(['forged']);
          expect(await authenticatedWith(fresh, onlyNew)).toBe(true);
        },
        timeout,
      );
    });
  });
}
