/**
 * The store side of the login throttle: an optional capability of `SessionStore`
 * (`store.throttle`). The core decides (policy, back-off, answers); a store only keeps
 * counters, atomically and in one round trip per call, so a custom store stays small.
 *
 * Conventions (the same as the rest of the store contract):
 * - Keys are opaque: the core hashes the account and the IP (SHA-256, or HMAC under the
 *   throttle's `secret`) into 43 base64url characters. A store never sees an account name or
 *   an address, and may put each key in its own Cluster slot (each key is one counter).
 * - `now` is the core's clock. A counter whose latest failure is its window (`accountWindowMs`
 *   or `ipWindowMs`) or more before `now` is expired: it reads as `{ count: 0, lastAt: 0 }`,
 *   and the next failure starts it again at 1. Counters also expire by themselves in the
 *   backend (a TTL of the window from the latest failure, or a sweeper), so nothing grows
 *   without bound.
 * - A store rejects when its backend failed or timed out; the throttle then fails closed
 *   (`store_unavailable`, 503).
 */
import type { StoreCallOptions } from '../store.js';

/** The two counters of one attempt: the account's and the client address's (hashed keys). */
export interface ThrottleKeys {
  /** Hash of the normalised account name: 43 base64url characters. */
  readonly account: string;
  /** Hash of the client IP (IPv6: its /64): 43 base64url characters. */
  readonly ip: string;
}

/** One counter as the store answers it. Absent or expired: `{ count: 0, lastAt: 0 }`. */
export interface ThrottleCount {
  /** Failures counted since the counter (re)started. */
  readonly count: number;
  /** The latest failure's `now`, ms since epoch (never moves backwards). */
  readonly lastAt: number;
}

export interface ThrottleCounts {
  readonly account: ThrottleCount;
  readonly ip: ThrottleCount;
}

export interface ThrottleCallOptions extends StoreCallOptions {
  /** How long the account's counter lives after its latest failure, ms (an integer > 0). */
  readonly accountWindowMs: number;
  /** How long the IP's counter lives after its latest failure, ms (an integer > 0). */
  readonly ipWindowMs: number;
}

export interface ThrottleCounters {
  /**
   * True when `fail` never loses an increment under concurrency, across every process that
   * shares the store (50 parallel failures count exactly 50). The conformance kit checks it;
   * the throttle refuses counters without it unless told otherwise (`allowNonAtomicCounters`).
   */
  readonly atomic: boolean;
  /** Both counters, in ONE round trip. Writes nothing. */
  read(keys: ThrottleKeys, options: ThrottleCallOptions): Promise<ThrottleCounts>;
  /**
   * One failed attempt, in ONE round trip: add 1 to both counters (an absent or expired one
   * starts at 1), set each one's `lastAt` to max(`lastAt`, `now`) and its expiry to its window
   * after that. Answers both counters after the increment.
   */
  fail(keys: ThrottleKeys, options: ThrottleCallOptions): Promise<ThrottleCounts>;
  /** A successful attempt, in ONE round trip: forget the account's counter (never the IP's). */
  reset(keys: ThrottleKeys, options: StoreCallOptions): Promise<void>;
}

export const NO_COUNT: ThrottleCount = Object.freeze({ count: 0, lastAt: 0 });

/** A counter as stored, judged at `now`: expired ones read as NO_COUNT. For store authors. */
export function liveCount(count: number, lastAt: number, now: number, windowMs: number): ThrottleCount {
  if (!Number.isFinite(count) || !Number.isFinite(lastAt) || count <= 0 || now >= lastAt + windowMs) {
    return NO_COUNT;
  }
  return { count, lastAt };
}

/** A counter as a backend answered it (numbers, or strings from a driver): NO_COUNT unless both are safe integers and the count is positive. */
export function countOf(count: unknown, lastAt: unknown): ThrottleCount {
  const c = Number(count ?? 0);
  const l = Number(lastAt ?? 0);
  return Number.isSafeInteger(c) && Number.isSafeInteger(l) && c > 0 ? { count: c, lastAt: l } : NO_COUNT;
}
