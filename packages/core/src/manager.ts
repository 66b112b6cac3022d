/**
 * The session manager: options resolved once, then `begin(request)` per request. Adapters
 * hand it a framework-neutral request and get back a `RequestSession` whose `commit()`
 * answers the headers to set. The admin API (list / revoke a user's sessions) lives here.
 */
import {
  type AdminDeps,
  keyOfHandle,
  listSessions,
  revokeSession,
  revokeSessions,
  type SessionInfo,
} from './admin.js';
import { type Clock, systemClock } from './clock.js';
import {
  type CookieLimits,
  type CookieOptions,
  DEFAULT_COOKIE_LIMITS,
  type ResolvedCookieOptions,
  resolveCookieOptions,
} from './cookie.js';
import { isSessionError, SessionError } from './errors.js';
import { type SessionEvent, SessionEvents } from './events.js';
import { type Logger, resolveLogger } from './logger.js';
import type { ExpressSessionMigration } from './migrate.js';
import { type Policy, type PolicyOptions, resolvePolicy } from './policy.js';
import { RequestSession, type SessionRequest } from './request.js';
import type { SessionData } from './session.js';
import type { SessionStore, StoredClient } from './store.js';
import { StoreHealth } from './store-health.js';
import { withTimeout } from './timeout.js';
import { TokenCodec, type TokenOptions } from './token.js';

export interface SessionManagerOptions extends PolicyOptions, TokenOptions {
  /** Where sessions live. Use `new MemoryStore()` for development. */
  readonly store: SessionStore;
  /** Session cookie attributes; secure defaults (see DEFAULT_COOKIE_OPTIONS). */
  readonly cookie?: CookieOptions;
  /** Bounds on the incoming Cookie header. @default { maxHeaderBytes: 16384, maxPairs: 256 } */
  readonly cookieLimits?: Partial<CookieLimits>;
  /**
   * Opt-in token carrier for non-browser clients: read the token from this request header
   * when there is no cookie, and send new tokens back in the same response header. Requests
   * authenticated this way skip the CSRF check (the header is not ambient). @default undefined
   */
  readonly tokenHeader?: string;
  /** Add `Clear-Site-Data: "cookies"` on logout. @default false */
  readonly clearSiteDataOnLogout?: boolean;
  /** Time source. @default systemClock */
  readonly clock?: Clock;
  /** Listener for every session event (the audit feed). More via `manager.events.on`. */
  readonly onEvent?: (event: SessionEvent) => void;
  /**
   * Where the library reports what needs a human: the first store failure of an outage with
   * its cause (`error`), the recovery (`warn`), a throwing event listener (`error`). Each
   * call gets one string. `console`, pino, winston and Nest's `Logger` fit; `false` for
   * silence (the `store-error` events still fire). @default console
   */
  readonly logger?: Logger | false;
  /**
   * Sign in the users of an express-session app on their first request without a Tessera
   * cookie: `expressSession({ secrets, source })`. See the README ("Moving from
   * express-session"). @default undefined (off: the old cookie is never read)
   */
  readonly migrateFrom?: ExpressSessionMigration;
}

/** Options of `SessionManager.revokeAllSessions`. */
export interface RevokeAllOptions {
  /** Public handle of the one session to keep (usually the caller's own). @default undefined (revoke all) */
  readonly except?: string;
}

/** Internals a RequestSession needs; not part of the public API. */
export interface ManagerInternals extends AdminDeps {
  readonly store: SessionStore;
  readonly policy: Policy;
  readonly codec: TokenCodec;
  readonly cookie: ResolvedCookieOptions;
  readonly csrfCookie: ResolvedCookieOptions;
  readonly cookieLimits: CookieLimits;
  readonly tokenHeader: string | undefined;
  readonly clearSiteData: boolean;
  readonly clock: Clock;
  readonly events: SessionEvents;
  readonly logger: Logger | null;
  readonly migration: ExpressSessionMigration | undefined;
  call<T>(operation: string, handle: string | null, fn: () => Promise<T>): Promise<T>;
  emit(event: SessionEvent): void;
}

const TOKEN_HEADER_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export class SessionManager<D extends SessionData = SessionData> {
  readonly events: SessionEvents;
  readonly policy: Policy;
  readonly #internals: ManagerInternals;

  constructor(options: SessionManagerOptions) {
    if (!options || typeof options !== 'object')
      throw new SessionError('invalid_config', 'options are required.');
    const store = options.store;
    if (
      !store ||
      typeof store.load !== 'function' ||
      typeof store.rotate !== 'function' ||
      !store.capabilities
    ) {
      throw new SessionError(
        'invalid_config',
        '`store` must implement SessionStore (see the store contract in the README).',
      );
    }
    const policy = resolvePolicy(options);
    checkStoreLimits(policy, store);
    const cookie = resolveCookieOptions(options.cookie);
    const csrfCookie = resolveCookieOptions(
      {
        name: policy.csrf.cookieName,
        secure: cookie.secure,
        sameSite: cookie.sameSite === 'none' ? 'none' : 'lax',
        partitioned: cookie.partitioned,
      },
      'csrf',
    );
    if (csrfCookie.name === cookie.name)
      throw new SessionError('invalid_config', 'csrf.cookieName must differ from the session cookie name.');
    const limits = { ...DEFAULT_COOKIE_LIMITS, ...options.cookieLimits };
    for (const k of ['maxHeaderBytes', 'maxPairs'] as const) {
      if (!Number.isInteger(limits[k]) || limits[k] < 1)
        throw new SessionError('invalid_config', `cookieLimits.${k} must be a positive integer.`);
    }
    const tokenHeader = options.tokenHeader?.toLowerCase();
    if (tokenHeader !== undefined && (!TOKEN_HEADER_RE.test(tokenHeader) || tokenHeader === 'cookie')) {
      throw new SessionError(
        'invalid_config',
        `tokenHeader ${JSON.stringify(options.tokenHeader)} is not a usable header name.`,
      );
    }
    const migration = options.migrateFrom;
    if (migration !== undefined) {
      // A shape check, not instanceof: a second copy of the core makes equivalent objects.
      if (typeof migration?.verify !== 'function' || typeof migration.oldCookie !== 'function')
        throw new SessionError(
          'invalid_config',
          '`migrateFrom` must come from expressSession({ secrets, source }).',
        );
      if (migration.cookieName === cookie.name || migration.cookieName === csrfCookie.name)
        throw new SessionError(
          'invalid_config',
          '`migrateFrom`: the old cookie name must differ from the session and CSRF cookies.',
        );
      migration.oldCookie(cookie.secure);
    }
    const given = options.clock;
    // Stores keep timestamps as whole ms: a clock with fractions (performance.timeOrigin +
    // performance.now()) would write values some stores read back as corrupt.
    const clock: Clock = given ? { now: () => Math.floor(given.now()) } : systemClock;
    const logger = resolveLogger(options.logger);
    const events = new SessionEvents((error) => {
      try {
        logger?.error(`[tessera] an event listener threw: ${(error as Error)?.stack ?? String(error)}`);
      } catch {
        // Neither a listener nor the logger may break the request that emitted the event.
      }
    });
    if (options.onEvent) events.on('*', options.onEvent);
    this.events = events;
    this.policy = policy;
    const emit = (event: SessionEvent) => events.emit(event);
    const health = new StoreHealth(logger, store.name, clock);
    this.#internals = {
      store,
      policy,
      codec: new TokenCodec(options),
      cookie,
      csrfCookie,
      cookieLimits: Object.freeze(limits),
      tokenHeader,
      clearSiteData: options.clearSiteDataOnLogout ?? false,
      clock,
      events,
      logger,
      migration,
      emit,
      call: (operation, handle, fn) =>
        callStore(store, policy.storeTimeoutMs, operation, handle, fn, emit, clock, health),
    };
  }

  /** The manager's clock, ms since epoch (guards compare authentication age with it). */
  now(): number {
    return this.#internals.clock.now();
  }

  get store(): SessionStore {
    return this.#internals.store;
  }

  /** Name of the session cookie (e.g. `__Host-sid`). */
  get cookieName(): string {
    return this.#internals.cookie.name;
  }

  /**
   * Start a request: parse the cookie, and when it carries a well-formed (and, with a key
   * ring, correctly signed) token, load the session in one store round trip. Without a
   * usable token this touches no store. Rejects with `SessionError('store_unavailable')`.
   */
  async begin(request: SessionRequest): Promise<RequestSession<D>> {
    const rs = new RequestSession<D>(this.#internals, request);
    await rs.load();
    return rs;
  }

  /** A user's live sessions, oldest first. `currentHandle` marks the caller's own. */
  listSessions(userId: string, currentHandle: string | null = null): Promise<SessionInfo[]> {
    return listSessions(this.#internals, userId, currentHandle);
  }

  /** Revoke one session of a user by its public handle. */
  revokeSession(userId: string, handle: string): Promise<boolean> {
    return revokeSession(this.#internals, userId, handle);
  }

  /**
   * Revoke every session of a user ("log out everywhere"), or all but the one whose public
   * handle is `except` (one more store call, to find it; a handle that is none of the user's
   * live sessions spares nothing). Answers how many were revoked. A malformed `except` throws
   * `invalid_data` (400) and revokes nothing.
   */
  async revokeAllSessions(userId: string, options: RevokeAllOptions = {}): Promise<number> {
    const except = options.except;
    if (except === undefined) return revokeSessions(this.#internals, userId);
    if (typeof except !== 'string' || except.length === 0 || except.length > 64)
      throw new SessionError('invalid_data', '`except` must be a session handle.');
    const key = await keyOfHandle(this.#internals, userId, except);
    return revokeSessions(this.#internals, userId, key ?? undefined);
  }

  /** Close the store if it opened resources of its own. */
  async close(): Promise<void> {
    await this.#internals.store.close?.();
  }
}

/** Create a session manager. Options are validated here, once; a bad option throws `invalid_config`. */
export function createSessionManager<D extends SessionData = SessionData>(
  options: SessionManagerOptions,
): SessionManager<D> {
  return new SessionManager<D>(options);
}

/**
 * A store that declares its own data limits (`store.limits`) refuses writes past them: a policy
 * above them would answer 413 only once the store refuses, after set() had accepted the value.
 */
function checkStoreLimits(policy: Policy, store: SessionStore): void {
  const limits = store.limits;
  if (!limits) return;
  for (const name of ['maxDataBytes', 'maxKeys'] as const) {
    if (policy[name] > limits[name]) {
      throw new SessionError(
        'invalid_config',
        `${name} (${policy[name]}) is above the ${store.name} store's own ${name} (${limits[name]}), which refuses bigger sessions: raise the store's ${name} option or lower this one.`,
      );
    }
  }
}

async function callStore<T>(
  store: SessionStore,
  timeoutMs: number,
  operation: string,
  handle: string | null,
  fn: () => Promise<T>,
  emit: (event: SessionEvent) => void,
  clock: Clock,
  health: StoreHealth,
): Promise<T> {
  try {
    const result = await withTimeout(
      fn(),
      timeoutMs,
      () =>
        new SessionError(
          'store_unavailable',
          `[tessera] [${store.name}] ${operation} did not answer within ${timeoutMs} ms.`,
        ),
    );
    health.ok();
    return result;
  } catch (error) {
    // A store refusing an oversized record answered, it did not fail: no store-error, and 413.
    if (isSessionError(error, 'session_too_large')) throw error;
    const wrapped = isSessionError(error, 'store_unavailable')
      ? error
      : new SessionError(
          'store_unavailable',
          `[tessera] [${store.name}] ${operation} failed: ${(error as Error)?.message ?? String(error)}`,
          {
            cause: error,
          },
        );
    health.failed(operation, wrapped);
    emit({ type: 'store-error', at: clock.now(), operation, message: wrapped.message, handle });
    throw wrapped;
  }
}

export type { SessionInfo, StoredClient };
