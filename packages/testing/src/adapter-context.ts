// What the adapter contract hands each group of cases: its settings, its live store and app, its expected cookies.
import type { ManualClock } from '@tessera/session-core';
import type { TestServer } from './contract-types.js';
import type { InstrumentedStore } from './instrumented-store.js';
import type { MemoryMigrationSource } from './migration-fixtures.js';
import type { Browser } from './test-browser.js';

export const MIN = 60_000;
export const SID = '__Host-sid';
export const SET_COOKIE_RE = /^__Host-sid=[A-Za-z0-9._~-]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/;
/** The express-session secret of the contract's `migrateFrom`. */
export const OLD_SECRET = 'adapter-contract-express-session-secret';
export const CLEAR_COOKIE = `${SID}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax`;

/**
 * Built once by describeAdapterContract. The store and the app exist only once its beforeAll
 * ran, so they are functions, read inside each case.
 */
export interface AdapterCaseContext {
  readonly timeout: number;
  readonly clock: ManualClock;
  /** The instrumented store under the manager (call counts, switchable down). */
  store(): InstrumentedStore;
  /** The TEST APP. */
  server(): TestServer;
  /** A new browser on the TEST APP. */
  browser(): Browser;
  /** A fresh user id. */
  user(): string;
  /** The old (express-session) sessions the manager's `migrateFrom` reads. */
  readonly oldSessions: MemoryMigrationSource;
}
