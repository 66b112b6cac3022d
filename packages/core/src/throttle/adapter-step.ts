/**
 * The `loginThrottle()` guard of every adapter, in one place: the account from the app's
 * function, the IP from the session middleware (so `trustProxy` means what it means for
 * sessions), `check()`, and on a refusal the error and `Retry-After` every adapter answers.
 * The attempt it lets through is kept on the request for the handler to record its outcome.
 */
import { type AdapterEntry, adapterEntry } from '../adapter-options.js';
import { SessionError } from '../errors.js';
import type { ThrottleAnswer } from './policy.js';
import type { LoginAttemptInput, LoginThrottle } from './throttle.js';

/** The handle of a checked attempt: the handler says how it went (one store round trip). */
export class LoginAttempt {
  readonly #throttle: LoginThrottle;
  readonly #input: LoginAttemptInput;
  #recorded = false;

  constructor(throttle: LoginThrottle, input: LoginAttemptInput) {
    this.#throttle = throttle;
    this.#input = input;
  }

  /** The password was right: forget the account's failures. */
  succeeded(): Promise<ThrottleAnswer> {
    return this.#record(true);
  }

  /** The password was wrong (or the account unknown: count it the same way). */
  failed(): Promise<ThrottleAnswer> {
    return this.#record(false);
  }

  #record(ok: boolean): Promise<ThrottleAnswer> {
    if (this.#recorded) {
      return Promise.reject(
        new SessionError('invalid_state', '[tessera] [throttle] this login attempt was already recorded.'),
      );
    }
    this.#recorded = true;
    return this.#throttle.record(this.#input, ok);
  }
}

export interface LoginThrottleGuardOptions<R> {
  /** The account name the request tries (as typed: the throttle normalises it). */
  readonly account: (request: R) => string | undefined | null | Promise<string | undefined | null>;
}

export type LoginThrottleStep =
  | { readonly ok: true; readonly attempt: LoginAttempt }
  /** 429 `{ error: 'too_many_attempts' }` with this `Retry-After` (whole seconds, rounded up). */
  | { readonly ok: false; readonly error: SessionError; readonly retryAfter: string };

export function validateLoginThrottleGuard(throttle: unknown, options: { readonly account?: unknown }): void {
  if (!throttle || typeof (throttle as LoginThrottle).check !== 'function') {
    throw new SessionError(
      'invalid_config',
      'loginThrottle(throttle, options): throttle must come from createLoginThrottle().',
    );
  }
  if (typeof options?.account !== 'function') {
    throw new SessionError(
      'invalid_config',
      'loginThrottle(throttle, { account }): account must be a function of the request.',
    );
  }
}

/**
 * Check an attempt; rejects with `store_unavailable` when the store failed (fail closed). A
 * missing account name is checked as `''`: a request without one is still an attempt.
 */
export async function loginThrottleStep<R>(
  throttle: LoginThrottle,
  entry: Pick<AdapterEntry, 'ip'> | undefined,
  request: R,
  options: LoginThrottleGuardOptions<R>,
): Promise<LoginThrottleStep> {
  if (!entry) throw adapterEntry.missing('loginThrottle');
  const account = await options.account(request);
  const input: LoginAttemptInput = { account: typeof account === 'string' ? account : '', ip: entry.ip };
  const answer = await throttle.check(input);
  if (answer.allowed) return { ok: true, attempt: new LoginAttempt(throttle, input) };
  return {
    ok: false,
    error: new SessionError(
      'too_many_attempts',
      `too many failed logins (${answer.scope}); try again later.`,
    ),
    retryAfter: String(Math.max(1, Math.ceil(answer.retryAfterMs / 1000))),
  };
}

// Symbol.for, as for the adapter entry: a second copy of the core must find what the first set.
const ATTEMPT = Symbol.for('tessera.loginAttempt');

/** Where adapters keep the checked attempt (on the framework's per-request object). */
export const loginAttempts = {
  set(owner: object, attempt: LoginAttempt): void {
    (owner as Record<symbol, LoginAttempt>)[ATTEMPT] = attempt;
  },
  /** The request's attempt; throws when `loginThrottle()` did not run on this route. */
  get(owner: object | null | undefined): LoginAttempt {
    const attempt = owner ? (owner as Record<symbol, LoginAttempt | undefined>)[ATTEMPT] : undefined;
    if (!attempt)
      throw new Error('[tessera] loginAttempt() needs the loginThrottle() guard to run first on this route.');
    return attempt;
  },
};
