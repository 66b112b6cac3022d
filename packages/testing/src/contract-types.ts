// What an adapter's or a store's test file hands the contract suites: its running TEST APP, the store to run on.
import type { SessionStore } from '@tessera/session-core';

export interface TestServer {
  /** Base URL, e.g. `http://127.0.0.1:54321` (no trailing slash). */
  readonly url: string;
  close(): Promise<void>;
}

export interface ContractStore {
  /** Shown in the suite title, e.g. 'redis'. */
  readonly name: string;
  /** Called once for the suite. */
  make(): SessionStore | Promise<SessionStore>;
  /** Called once after the suite (close clients, stop servers). */
  teardown?(): void | Promise<void>;
  /** True when the backing service is missing: the suite is skipped (say so loudly where you decide it). */
  readonly skip?: boolean;
}
