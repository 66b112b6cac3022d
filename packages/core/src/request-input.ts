/**
 * Checks of what a handler hands the session: data key names, user ids, per-login durations.
 * Each refuses before anything changes.
 */
import { SessionError } from './errors.js';
import { MAX_DURATION_MS } from './policy.js';

/**
 * What a key name or user id may not hold. A lone UTF-16 surrogate: stores write names as
 * UTF-8, where every lone surrogate becomes U+FFFD, so "\ud800" and "\udc00" would be one
 * key (one value lost) and two such user ids one index. NUL: Postgres text cannot hold it.
 */
const LONE_SURROGATE = /\p{Cs}/u;
const unstorableName = (name: string): boolean => LONE_SURROGATE.test(name) || name.includes('\u0000');

/** A data key name, else `invalid_data` (400). */
export function checkDataKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 256 || unstorableName(key)) {
    throw new SessionError(
      'invalid_data',
      'session keys are non-empty strings of at most 256 characters of well-formed Unicode, without NUL.',
    );
  }
}

/** A user id for `login()`, else TypeError (a programming error, not the client's). */
export function checkUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0 || userId.length > 256 || unstorableName(userId)) {
    throw new TypeError(
      '[tessera] login(userId): userId must be a non-empty string of at most 256 characters of well-formed Unicode, without NUL.',
    );
  }
}

/** A per-login duration: like the policy's, whole ms from `min` to 100 years, else TypeError. */
export function loginDuration(value: number | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' ? Math.round(value) : Number.NaN;
  if (!(ms >= min && ms <= MAX_DURATION_MS))
    throw new TypeError(`[tessera] login: ${name} must be from ${min} ms to 100 years.`);
  return ms;
}
