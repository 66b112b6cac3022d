/**
 * The adversarial suite: what an attacker can send, and what a racing or misbehaving world
 * can do, against an adapter's TEST APP (the same app and `makeApp(manager)` as the adapter
 * contract, see adapter-contract.ts) over real HTTP. Every case asserts the safe behaviour
 * and that nothing answered 5xx.
 *
 *   describeAdversarialContract({ name: 'hono', makeApp, store: { name: 'redis', make: () => redisStore({ client }) } });
 *
 * Each attack family lives in its own adversarial-*.ts file and gets an AdversarialContext.
 * The suite builds its managers itself over one instrumented store: the main one (key ring
 * `[k1]`, cap 3 with `onLimit: 'reject'`, 2 h absolute, 30 min idle), an unsigned one (no key
 * ring: well-formed tokens reach the store), and, for key rotation, `[k2, k1]` then `[k2]`.
 * A gate in front of the store holds chosen operations to force interleavings (a slow
 * in-flight request, two rotations of one token) instead of hoping for them.
 */
import {
  createSessionManager,
  ManualClock,
  MemoryStore,
  type SessionEvent,
  type SessionKey,
  type SessionManager,
  type SessionManagerOptions,
  type SessionStore,
  TokenCodec,
} from '@tessera/session-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect } from 'vitest';
import { Client } from './adversarial-client.js';
import {
  ABSOLUTE,
  type AdversarialContext,
  CAP,
  HOUR,
  IDLE,
  K1,
  SID,
  type StateBody,
} from './adversarial-context.js';
import { describeCookieHeaderAttacks } from './adversarial-cookie-header.js';
import { describeCorruptRecordAttacks } from './adversarial-corrupt.js';
import { describeCsrfDefaults } from './adversarial-csrf.js';
import { describeCsrfTokenAttacks } from './adversarial-csrf-tokens.js';
import { describeDataAttacks } from './adversarial-data.js';
import { describeDefaultsAttacks } from './adversarial-defaults.js';
import { Gate, gated } from './adversarial-gate.js';
import { describeKeyRingAttacks } from './adversarial-key-ring.js';
import { describeLifecycleAttacks } from './adversarial-lifecycle.js';
import { describeSignatureAttacks } from './adversarial-signatures.js';
import { describeTokenRevealAttacks } from './adversarial-token-reveal.js';
import { describeTokenSourceAttacks } from './adversarial-token-source.js';
import type { ContractStore, TestServer } from './contract-types.js';
import { randomId } from './fixtures.js';
import { type InstrumentedStore, instrumentStore } from './instrumented-store.js';

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

    const ctx: AdversarialContext = {
      timeout,
      bodyParsedFirst: options.bodyParsedFirst ?? false,
      corrupt: options.corrupt,
      clock,
      gate,
      events,
      codec,
      url: () => app.url,
      store: () => store,
      inner: () => inner,
      manager: () => manager,
      app: () => app,
      unsigned: () => unsigned,
      managerWith,
      start,
      client,
      user,
      keyOfToken,
      rejected,
      anonymousWith,
      authenticatedWith,
    };
    // The order of the families is the order of the report.
    describeCookieHeaderAttacks(ctx);
    describeDataAttacks(ctx);
    describeSignatureAttacks(ctx);
    describeTokenRevealAttacks(ctx);
    describeLifecycleAttacks(ctx);
    describeDefaultsAttacks(ctx);
    describeTokenSourceAttacks(ctx);
    describeCorruptRecordAttacks(ctx);
    describeCsrfTokenAttacks(ctx);
    describeCsrfDefaults(ctx);
    describeKeyRingAttacks(ctx);
  });
}
