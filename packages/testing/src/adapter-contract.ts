/**
 * The adapter contract as runnable tests, over real HTTP (a server listening on 127.0.0.1
 * and `fetch`; no framework test shortcuts). An adapter's test file builds the TEST APP
 * below on the manager it is given and calls:
 *
 *   describeAdapterContract({ name: 'hono', makeApp: async (manager) => ({ url, close }) });
 *
 * Pass `store` to run the same cases on another backend (default: `new MemoryStore()`).
 * The suite builds the manager itself: a ManualClock, an instrumented store (call counts,
 * switchable down), a signing key, `maxSessionsPerUser: 2`, `onLimit: 'reject'`,
 * `absoluteTimeoutMs: 2 h`, `storeTimeoutMs: 500`, `keepDataOnLogin: ['cart']`, and
 * `migrateFrom` an express-session migration from an in-memory old store; everything else is
 * the default.
 *
 * TEST APP (every adapter, same routes and behaviour; mount the adapter's session middleware
 * on every route with the default CSRF enforcement, and NO `csrf()` guard anywhere: the
 * middleware itself must refuse; `requireAuth` where marked; leave SessionErrors thrown by
 * handlers to the adapter, which maps them to status + JSON; body parsers, where the
 * framework needs one, run AFTER the session middleware, so its form check must leave the body):
 *   GET  /state           → 200 { authenticated, userId, handle, csrfToken, data: session.toJSON() }
 *   POST /set             JSON { key, value } → session.set(key, value); 204
 *   POST /login           JSON { userId } → await session.login(userId); 200 { userId }
 *                         (at the cap the adapter answers 409 { error: 'session_limit' })
 *   POST /login-redirect  JSON { userId } → await session.login(userId); 303 Location: /state
 *   POST /logout          → await session.logout(); 204
 *   GET  /protected       requireAuth() → 200 { userId }
 *   GET  /recent          requireAuth({ maxAuthAgeMs: 60_000 }) → 200 { userId }
 *   GET  /devices         requireAuth() → 200 await session.listSessions()
 *   POST /form            body application/x-www-form-urlencoded parsed the framework's way
 *                         → 200 { note } (the form's `note` field as the app's parser saw it)
 *   POST /hook            exempt with the adapter's skipCsrf() / @SkipCsrf() →
 *                         session.set('hook', true); 204
 *   Client IP: the socket peer as the adapter reads it; trustProxy left at its default.
 */
import {
  createSessionManager,
  expressSession,
  ManualClock,
  MemoryStore,
  type SessionManager,
} from '@tessera/session-core';
import { afterAll, beforeAll, beforeEach, describe } from 'vitest';
import { describeAuthenticationCases } from './adapter-auth.js';
import { describeConcurrencyCases } from './adapter-concurrency.js';
import { type AdapterCaseContext, MIN, OLD_SECRET } from './adapter-context.js';
import { describeCookieCases } from './adapter-cookies.js';
import { describeCsrfCases } from './adapter-csrf.js';
import { describeExpiryCases } from './adapter-expiry.js';
import { describeMigrationCases } from './adapter-migration.js';
import { describeOutageCases } from './adapter-outage.js';
import type { ContractStore, TestServer } from './contract-types.js';
import { randomId } from './fixtures.js';
import { type InstrumentedStore, instrumentStore } from './instrumented-store.js';
import { memoryMigrationSource } from './migration-fixtures.js';
import { Browser } from './test-browser.js';

export type { ContractStore, TestServer } from './contract-types.js';
export { Browser, type Reply, type State } from './test-browser.js';

export interface AdapterContractOptions {
  /** Shown in the suite title. */
  readonly name: string;
  /** Build and start the TEST APP (see the top of this file) on `manager`. */
  readonly makeApp: (manager: SessionManager) => Promise<TestServer>;
  /** Backend under the manager. @default an in-process MemoryStore */
  readonly store?: ContractStore;
  /** Per-test timeout, ms. @default 15000 */
  readonly timeoutMs?: number;
}

export function describeAdapterContract(options: AdapterContractOptions): void {
  const timeout = options.timeoutMs ?? 15_000;
  const storeName = options.store?.name ?? 'memory';

  describe.skipIf(options.store?.skip === true)(
    `adapter contract: ${options.name} (${storeName} store)`,
    () => {
      const clock = new ManualClock(Date.now());
      let store: InstrumentedStore;
      let manager: SessionManager;
      let server: TestServer;
      const oldSessions = memoryMigrationSource();
      const browser = () => new Browser(server.url);
      const user = () => `user-${randomId().slice(0, 10)}`;

      beforeAll(async () => {
        store = instrumentStore(
          options.store ? await options.store.make() : new MemoryStore({ warnInProduction: false }),
        );
        manager = createSessionManager({
          store,
          clock,
          keys: [{ id: 'k1', secret: 'adapter-contract-signing-key-0123456789abcdef' }],
          maxSessionsPerUser: 2,
          onLimit: 'reject',
          absoluteTimeoutMs: 120 * MIN,
          storeTimeoutMs: 500,
          keepDataOnLogin: ['cart'],
          migrateFrom: expressSession({ secrets: OLD_SECRET, source: oldSessions }),
        });
        server = await options.makeApp(manager);
      }, 60_000);
      afterAll(async () => {
        await server?.close();
        await options.store?.teardown?.();
      }, 60_000);
      beforeEach(() => {
        store.mode = 'up';
        store.reset();
      });

      const ctx: AdapterCaseContext = {
        timeout,
        clock,
        store: () => store,
        server: () => server,
        browser,
        user,
        oldSessions,
      };
      // The order of the groups is the order of the report.
      describeCookieCases(ctx);
      describeAuthenticationCases(ctx);
      describeExpiryCases(ctx);
      describeOutageCases(ctx);
      describeCsrfCases(ctx);
      describeConcurrencyCases(ctx);
      describeMigrationCases(ctx);
    },
  );
}
