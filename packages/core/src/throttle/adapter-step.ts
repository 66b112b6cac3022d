/**
 * The `loginThrottle()` guard of every adapter, in one place: the account from the app's
 * function, the IP from the session middleware (so `trustProxy` means what it means for
 * sessions), `check()`, and on a refusal the error and `Retry-After` every adapter answers.
 * The attempt it lets through is kept on the request for the handler to record its outcome.
 */
import { type AdapterEntry, adapterEntry } from '../adapter-options.js';
import { isSessionError, SessionError } from '../errors.js';
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

/** What a guard does with a request: let it through with its attempt, or answer `error`. */
export type LoginGuardAnswer =
  | { readonly ok: true; readonly attempt: LoginAttempt }
  /**
   * 429 `too_many_attempts` with this `Retry-After` (whole seconds, rounded up), or, when the
   * store failed (fail closed), 503 `store_unavailable` with `retryAfter` null.
   */
  | { readonly ok: false; readonly error: SessionError; readonly retryAfter: string | null };

// Symbol.for, as for the adapter entry: a second copy of the core must find what the first set.
const ATTEMPT = Symbol.for('tessera.loginAttempt');

/** The `loginThrottle()` guard of every adapter, in one place; adapters only answer. */
export const loginGuard = {
  /** At start-up: a throttle from createLoginThrottle() and an `account` function. */
  validate(throttle: unknown, options: { readonly account?: unknown }): void {
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
  },

  /**
   * Check the request's attempt and, when it may go ahead, keep it on `owner` (the framework's
   * per-request object) for `attemptOf`. A missing account name is checked as `''`: a request
   * without one is still an attempt. Rejects only with what is not a SessionError (a throwing
   * `account`); a store failure answers 503 (fail closed).
   */
  async check<R>(
    throttle: LoginThrottle,
    entry: Pick<AdapterEntry, 'ip'> | undefined,
    owner: object,
    request: R,
    options: LoginThrottleGuardOptions<R>,
  ): Promise<LoginGuardAnswer> {
    if (!entry) throw adapterEntry.missing('loginThrottle');
    // Every client counted under one unknown address would share one budget: refuse instead.
    if (entry.ip === undefined)
      throw new Error('[tessera] loginThrottle(): this adapter does not resolve the client IP.');
    const account = await options.account(request);
    const input: LoginAttemptInput = { account: typeof account === 'string' ? account : '', ip: entry.ip };
    let answer: ThrottleAnswer;
    try {
      answer = await throttle.check(input);
    } catch (error) {
      if (isSessionError(error)) return { ok: false, error, retryAfter: null };
      throw error;
    }
    if (!answer.allowed) {
      return {
        ok: false,
        error: new SessionError(
          'too_many_attempts',
          `too many failed logins (${answer.scope}); try again later.`,
        ),
        retryAfter: String(Math.max(1, Math.ceil(answer.retryAfterMs / 1000))),
      };
    }
    const attempt = new LoginAttempt(throttle, input);
    (owner as Record<symbol, LoginAttempt>)[ATTEMPT] = attempt;
    return { ok: true, attempt };
  },

  /** The request's attempt; throws when `loginThrottle()` did not run on this route. */
  attemptOf(owner: object | null | undefined): LoginAttempt {
    const attempt = owner ? (owner as Record<symbol, LoginAttempt | undefined>)[ATTEMPT] : undefined;
    if (!attempt)
      throw new Error('[tessera] loginAttempt() needs the loginThrottle() guard to run first on this route.');
    return attempt;
  },
};
