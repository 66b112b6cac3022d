/**
 * The login throttle's policy: its options with their secure defaults, validated once, and
 * the decision (pure: counters and `now` in, an answer out).
 *
 * Per account: `maxFailures` failures pass; from then on the account waits `baseDelayMs`
 * after its latest failure, doubling with every further failure, capped at `maxDelayMs`. Its
 * counter is forgotten `windowMs + maxDelayMs` after its latest failure: never within a
 * window (at most `maxFailures` failures pass in any window), and never before the longest
 * wait is over plus a window, so waiting out a lock does not buy a fresh budget. Per IP: `ipMaxFailures` failures across all accounts,
 * then the address waits until its counter expires (`windowMs` after its latest failure).
 */
import { SessionError } from '../errors.js';
import type { ThrottleCounts } from './counters.js';

const MIN = 60_000;

export interface ThrottlePolicyOptions {
  /** Failures per account that pass before the back-off starts. @default 5 */
  readonly maxFailures?: number;
  /** Failures within this long of each other count together, ms (an account's are kept `maxDelayMs` longer). @default 900000 (15 min) */
  readonly windowMs?: number;
  /** The first wait once an account reached `maxFailures`, ms; doubles per further failure. @default 60000 (1 min), at most maxDelayMs */
  readonly baseDelayMs?: number;
  /** The longest wait, ms. @default 900000 (15 min) */
  readonly maxDelayMs?: number;
  /** Failures per client IP (IPv6: per /64) across all accounts before the address waits. @default 50 */
  readonly ipMaxFailures?: number;
}

export interface ThrottlePolicy {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly ipMaxFailures: number;
}

export const DEFAULT_THROTTLE_POLICY: ThrottlePolicy = Object.freeze({
  maxFailures: 5,
  windowMs: 15 * MIN,
  baseDelayMs: MIN,
  maxDelayMs: 15 * MIN,
  ipMaxFailures: 50,
});

/** What `check()` and `record()` answer. Never says whether the account exists. */
export type ThrottleAnswer =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly scope: 'account' | 'ip' };

export const ALLOWED: ThrottleAnswer = Object.freeze({ allowed: true });

const HUNDRED_YEARS = 100 * 365 * 24 * 60 * MIN;

function count(name: string, value: unknown, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new SessionError(
      'invalid_config',
      `login throttle: ${name} must be an integer >= 1, got ${String(v)}.`,
    );
  }
  return v;
}

function duration(name: string, value: unknown, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 1 || v > HUNDRED_YEARS) {
    throw new SessionError(
      'invalid_config',
      `login throttle: ${name} must be a duration from 1 ms to 100 years, got ${String(v)}.`,
    );
  }
  return Math.round(v);
}

/** Validate once, at construction. */
export function resolveThrottlePolicy(options: ThrottlePolicyOptions): ThrottlePolicy {
  const d = DEFAULT_THROTTLE_POLICY;
  const windowMs = duration('windowMs', options.windowMs, d.windowMs);
  const maxDelayMs = duration('maxDelayMs', options.maxDelayMs, d.maxDelayMs);
  const baseDelayMs = duration('baseDelayMs', options.baseDelayMs, Math.min(d.baseDelayMs, maxDelayMs));
  if (baseDelayMs > maxDelayMs) {
    throw new SessionError(
      'invalid_config',
      `login throttle: baseDelayMs (${baseDelayMs}) may not exceed maxDelayMs (${maxDelayMs}).`,
    );
  }
  return Object.freeze({
    maxFailures: count('maxFailures', options.maxFailures, d.maxFailures),
    windowMs,
    baseDelayMs,
    maxDelayMs,
    ipMaxFailures: count('ipMaxFailures', options.ipMaxFailures, d.ipMaxFailures),
  });
}

/** The wait after an account's `failures`-th failure (0 below `maxFailures`). */
export function delayAfter(failures: number, policy: ThrottlePolicy): number {
  if (failures < policy.maxFailures) return 0;
  // 2^31 ms is 24 days: past any cap a duration check allows to be useful, and no overflow.
  const doublings = Math.min(failures - policy.maxFailures, 31);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** doublings);
}

/** Whether an attempt may go ahead at `now`; when both scopes wait, the longer wait answers. */
export function decide(counts: ThrottleCounts, policy: ThrottlePolicy, now: number): ThrottleAnswer {
  const { account, ip } = counts;
  const accountWait =
    account.count >= policy.maxFailures ? account.lastAt + delayAfter(account.count, policy) - now : 0;
  const ipWait = ip.count >= policy.ipMaxFailures ? ip.lastAt + policy.windowMs - now : 0;
  if (accountWait <= 0 && ipWait <= 0) return ALLOWED;
  return accountWait >= ipWait
    ? { allowed: false, retryAfterMs: accountWait, scope: 'account' }
    : { allowed: false, retryAfterMs: ipWait, scope: 'ip' };
}
