// What the adversarial suite hands each attack family: its settings, its live store and apps, and its probes.
import type {
  ManualClock,
  SessionEvent,
  SessionKey,
  SessionManager,
  SessionManagerOptions,
  SessionStore,
  TokenCodec,
} from '@tessera/session-core';
import type { Client } from './adversarial-client.js';
import type { CsrfCaseContext } from './adversarial-csrf.js';
import type { Gate } from './adversarial-gate.js';
import type { TestServer } from './contract-types.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const SID = '__Host-sid';
export const K1 = { id: 'k1', secret: 'adversarial-suite-signing-key-one-0123456789' };
export const K2 = { id: 'k2', secret: 'adversarial-suite-signing-key-two-0123456789' };
export const CAP = 3;
export const IDLE = 30 * MIN;
export const ABSOLUTE = 2 * HOUR;

export interface StateBody {
  authenticated: boolean;
  userId: string | null;
  data: Record<string, unknown>;
}

/**
 * Built once by describeAdversarialContract. The store, the managers and the apps exist only
 * once its beforeAll ran, so they are functions, read inside each case.
 */
export interface AdversarialContext extends CsrfCaseContext {
  readonly clock: ManualClock;
  readonly gate: Gate;
  /** Every event of every manager since the current case began. */
  readonly events: SessionEvent[];
  /** A codec on the main key ring `[k1]`. */
  readonly codec: TokenCodec;
  /** The store under the gate and the counters: reads and writes here are not counted. */
  inner(): SessionStore;
  /** The main manager (`[k1]`). */
  manager(): SessionManager;
  /** The TEST APP on the main manager. */
  app(): TestServer;
  /** The TEST APP on a manager without a key ring. */
  unsigned(): TestServer;
  /** A manager over the suite's store with the suite's limits, plus `extra`. */
  managerWith(extra: Partial<SessionManagerOptions>): SessionManager;
  /** Start the TEST APP on `manager`; the suite closes it. */
  start(manager: SessionManager): Promise<TestServer>;
  /** A new client of `server` (@default the main app). */
  client(server?: TestServer): Client;
  /** The store key a `[k1]` token names. */
  keyOfToken(token: string): SessionKey;
  /** The reasons of the `rejected` events so far. */
  rejected(): string[];
  /** Whether GET /state with this Cookie header is anonymous with no data. */
  anonymousWith(cookie: string, server?: TestServer): Promise<boolean>;
  /** Whether GET /state with this session token is signed in. */
  authenticatedWith(token: string, server?: TestServer): Promise<boolean>;
  /** See AdversarialContractOptions.corrupt. */
  readonly corrupt: ((key: SessionKey) => Promise<void>) | undefined;
}
