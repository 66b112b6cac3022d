/**
 * Brute-force protection for login: `createLoginThrottle({ store })` counts failed logins per
 * account and per client IP in the store the sessions already use, and answers whether the
 * next attempt may go ahead. `check()` before verifying a password, `record()` after it: one
 * store round trip each. A store failure fails closed (`store_unavailable`, 503) unless the
 * app opted out with `failOpenOnStoreError`.
 */
import { ipPrefixOf } from '../client.js';
import { type Clock, systemClock } from '../clock.js';
import { isSessionError, SessionError } from '../errors.js';
import { toBase64Url } from '../internal/bytes.js';
import { hmacSha256, sha256Base64Url } from '../internal/hash.js';
import { type Logger, resolveLogger } from '../logger.js';
import type { SessionStore } from '../store.js';
import { StoreHealth } from '../store-health.js';
import { withTimeout } from '../timeout.js';
import type { ThrottleCallOptions, ThrottleCounters, ThrottleKeys } from './counters.js';
import {
  ALLOWED,
  decide,
  resolveThrottlePolicy,
  type ThrottleAnswer,
  type ThrottlePolicy,
  type ThrottlePolicyOptions,
} from './policy.js';

/** A login attempt: the account name as typed and the client IP as the adapter resolved it. */
export interface LoginAttemptInput {
  readonly account: string;
  readonly ip: string | null | undefined;
}

export interface LoginThrottleOptions extends ThrottlePolicyOptions {
  /** The store whose counters are used: one with `throttle` counters (every bundled store has them). */
  readonly store: Pick<SessionStore, 'name' | 'throttle'>;
  /**
   * Key for the HMAC that turns account names and IPs into store keys (at least 32 bytes,
   * e.g. the sessions' `atRestSecret`). Without it the keys are SHA-256 hashes, which anyone
   * reading the store can test guesses against. @default none (SHA-256)
   */
  readonly secret?: string | Uint8Array;
  /** Bound on every store call, ms. @default 2000 */
  readonly storeTimeoutMs?: number;
  /**
   * DANGEROUS: when the store fails, let attempts through uncounted (`check` allows, `record`
   * drops the count), logging a warning at every failure. Off, a store failure refuses the
   * login with `store_unavailable` (503). @default false
   */
  readonly failOpenOnStoreError?: boolean;
  /**
   * Accept counters that are not atomic (`fromKeyValueStore`): parallel failures can be lost,
   * so a parallel attacker gets more attempts than the policy says. @default false
   */
  readonly allowNonAtomicCounters?: boolean;
  /** Where store failures go (`error` once per outage, `warn` on recovery and fail-open). `false`: nowhere. @default console */
  readonly logger?: Logger | false;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** `check` before verifying the password, `record` after; or `attempt()` for a handle with both. */
export interface LoginThrottle {
  readonly policy: ThrottlePolicy;
  /** May this attempt go ahead? One store round trip, writes nothing. */
  check(attempt: LoginAttemptInput): Promise<ThrottleAnswer>;
  /**
   * The outcome of a checked attempt: a failure counts against the account and the IP, a
   * success forgets the account's failures (never the IP's). One store round trip. Answers
   * whether the next attempt for this account and IP may go ahead.
   */
  record(attempt: LoginAttemptInput, ok: boolean): Promise<ThrottleAnswer>;
}

const WHO = '[tessera] [throttle] ';

export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  return new Throttle(options);
}

class Throttle implements LoginThrottle {
  readonly policy: ThrottlePolicy;
  readonly #counters: ThrottleCounters;
  readonly #storeName: string;
  readonly #secret: Uint8Array | undefined;
  readonly #timeoutMs: number;
  readonly #failOpen: boolean;
  readonly #logger: Logger | null;
  readonly #clock: Clock;
  readonly #health: StoreHealth;

  constructor(options: LoginThrottleOptions) {
    const store = options?.store;
    if (!store || typeof store !== 'object')
      throw new SessionError('invalid_config', `${WHO}store is required.`);
    const counters = store.throttle;
    if (!counters) {
      throw new SessionError(
        'invalid_config',
        `${WHO}the ${store.name} store has no login throttle counters (store.throttle); use a bundled store or implement ThrottleCounters.`,
      );
    }
    if (!counters.atomic && options.allowNonAtomicCounters !== true) {
      throw new SessionError(
        'invalid_config',
        `${WHO}the ${store.name} store's throttle counters are not atomic: parallel failures can be lost. ` +
          'Use a store with atomic counters, or pass allowNonAtomicCounters: true to accept it.',
      );
    }
    this.policy = resolveThrottlePolicy(options);
    this.#counters = counters;
    this.#storeName = store.name;
    this.#secret = secretOf(options.secret);
    const timeout = options.storeTimeoutMs ?? 2000;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
      throw new SessionError(
        'invalid_config',
        `${WHO}storeTimeoutMs must be a number > 0, got ${String(timeout)}.`,
      );
    }
    this.#timeoutMs = timeout;
    if (options.failOpenOnStoreError !== undefined && typeof options.failOpenOnStoreError !== 'boolean') {
      throw new SessionError('invalid_config', `${WHO}failOpenOnStoreError must be a boolean.`);
    }
    this.#failOpen = options.failOpenOnStoreError === true;
    this.#logger = resolveLogger(options.logger, 'login throttle logger');
    this.#clock = options.clock ?? systemClock;
    this.#health = new StoreHealth(this.#logger, store.name, this.#clock);
  }

  async check(attempt: LoginAttemptInput): Promise<ThrottleAnswer> {
    const keys = this.#keys(attempt);
    const now = Math.floor(this.#clock.now());
    const counts = await this.#call('throttle.check', () => this.#counters.read(keys, this.#windows(now)));
    return counts === null ? ALLOWED : decide(counts, this.policy, now);
  }

  async record(attempt: LoginAttemptInput, ok: boolean): Promise<ThrottleAnswer> {
    if (typeof ok !== 'boolean')
      throw new SessionError('invalid_state', `${WHO}record(attempt, ok): ok must be a boolean.`);
    const keys = this.#keys(attempt);
    const now = Math.floor(this.#clock.now());
    if (ok) {
      await this.#call('throttle.record', () => this.#counters.reset(keys, { now }));
      return ALLOWED;
    }
    const counts = await this.#call('throttle.record', () => this.#counters.fail(keys, this.#windows(now)));
    return counts === null ? ALLOWED : decide(counts, this.policy, now);
  }

  /**
   * An account's counter outlives its longest wait by a window, so an attacker who waits out
   * a lock comes back to a doubled wait, not to a fresh budget; an IP's lives one window.
   */
  #windows(now: number): ThrottleCallOptions {
    const { windowMs, maxDelayMs } = this.policy;
    return { now, accountWindowMs: windowMs + maxDelayMs, ipWindowMs: windowMs };
  }

  #keys(attempt: LoginAttemptInput): ThrottleKeys {
    if (!attempt || typeof attempt.account !== 'string') {
      throw new SessionError('invalid_state', `${WHO}an attempt is { account: string, ip: string }.`);
    }
    return {
      account: this.#hash(`account\0${normalizeAccount(attempt.account)}`),
      ip: this.#hash(`ip\0${addressKey(attempt.ip)}`),
    };
  }

  #hash(text: string): string {
    return this.#secret ? toBase64Url(hmacSha256(this.#secret, text)) : sha256Base64Url(text);
  }

  /** The store's answer; null when it failed and the app chose to fail open. */
  async #call<T>(operation: string, fn: () => Promise<T>): Promise<T | null> {
    try {
      const result = await withTimeout(
        fn(),
        this.#timeoutMs,
        () =>
          new SessionError(
            'store_unavailable',
            `[tessera] [${this.#storeName}] ${operation} did not answer within ${this.#timeoutMs} ms.`,
          ),
      );
      this.#health.ok();
      return result;
    } catch (error) {
      const wrapped = isSessionError(error, 'store_unavailable')
        ? error
        : new SessionError(
            'store_unavailable',
            `[tessera] [${this.#storeName}] ${operation} failed: ${(error as Error)?.message ?? String(error)}`,
            { cause: error },
          );
      if (!this.#failOpen) {
        this.#health.failed(operation, wrapped);
        throw wrapped;
      }
      try {
        this.#logger?.warn(
          `${WHO}${operation}: the store failed and failOpenOnStoreError is set, so this login attempt goes UNCOUNTED: ${wrapped.message}`,
        );
      } catch {
        // A broken logger must not decide the login.
      }
      return null;
    }
  }
}

/** Trimmed, NFKC-normalised, lower-cased: `Alice`, ` alice ` and `ａｌｉｃｅ` share one counter. */
export function normalizeAccount(account: string): string {
  return account.trim().normalize('NFKC').toLowerCase();
}

/** An IPv6 client holds a whole /64, so it is counted per /64; IPv4 per address; unknown as ''. */
function addressKey(ip: string | null | undefined): string {
  if (typeof ip !== 'string' || ip === '') return '';
  const prefix = ipPrefixOf(ip);
  return prefix.endsWith('::/64') ? prefix : ip.slice(0, 64).toLowerCase();
}

function secretOf(secret: string | Uint8Array | undefined): Uint8Array | undefined {
  if (secret === undefined) return undefined;
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (!(bytes instanceof Uint8Array) || bytes.length < 32) {
    throw new SessionError('invalid_config', `${WHO}secret must be a string or bytes of at least 32 bytes.`);
  }
  return new Uint8Array(bytes);
}
