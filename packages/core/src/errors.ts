/**
 * Every error Tessera throws on purpose is a `SessionError` with a stable `code`.
 * Adapters map codes to HTTP statuses (see `httpStatusOf`); nothing else should need to
 * parse messages.
 */
export type SessionErrorCode =
  /** The store could not be reached, failed, or did not answer within the store timeout. */
  | 'store_unavailable'
  /** Options were invalid; thrown at start-up, never per request. */
  | 'invalid_config'
  /** Login refused: the user is at the concurrent-session cap and the policy is `reject`. */
  | 'session_limit'
  /** The session changed under this request (rotated or ended by a concurrent request). */
  | 'session_conflict'
  /** Session data refused: a prototype-looking key (`__proto__`...) or a value JSON cannot hold. */
  | 'invalid_data'
  /** A write would take the session's data past `maxDataBytes` or `maxKeys`; nothing of it was written. */
  | 'session_too_large'
  /** CSRF token missing or wrong, or the request is cross-site. */
  | 'csrf'
  /** The route needs an authenticated session. */
  | 'unauthenticated'
  /** The route needs a recent authentication (`maxAuthAgeMs`). */
  | 'reauthentication_required'
  /** The session is authenticated but a guard predicate refused it. */
  | 'forbidden'
  /** Too many failed logins for this account or address (the login throttle); answered with `Retry-After`. */
  | 'too_many_attempts'
  /** The handle was used after its request finished, or a method was called in a state where it is meaningless. */
  | 'invalid_state';

export interface SessionErrorOptions {
  cause?: unknown;
}

// Symbol.for, not a module-local symbol or the class identity: two copies of the core installed
// side by side (a store or adapter resolving its own) must still recognise each other's errors,
// or a copy's 409 becomes the other's 500.
const BRAND = Symbol.for('tessera.SessionError');

export class SessionError extends Error {
  override readonly name = 'SessionError';
  readonly code: SessionErrorCode;

  constructor(code: SessionErrorCode, message: string, options: SessionErrorOptions = {}) {
    super(message.startsWith('[tessera]') ? message : `[tessera] ${message}`, { cause: options.cause });
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * `error instanceof SessionError` holds for a SessionError from any copy of the core, so code
   * that filters by class (NestJS `@Catch(SessionError)`, an app's error handler) works too.
   * Subclasses keep the ordinary prototype check.
   */
  static override [Symbol.hasInstance]<T>(
    this: abstract new (
      ...args: never[]
    ) => T,
    value: unknown,
  ): value is T {
    // biome-ignore lint/complexity/noThisInStatic: which class asks (this one or a subclass) is the point
    if ((this as unknown) !== SessionError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return isBranded(value);
  }
}

function isBranded(value: unknown): value is SessionError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { [BRAND]?: unknown; name?: unknown; code?: unknown };
  return (
    v[BRAND] === true &&
    v.name === 'SessionError' &&
    typeof v.code === 'string' &&
    Object.hasOwn(STATUS, v.code)
  );
}

/** Whether `error` is a SessionError (from this or any other copy of the core), with `code` if given. */
export function isSessionError(error: unknown, code?: SessionErrorCode): error is SessionError {
  return isBranded(error) && (code === undefined || error.code === code);
}

const STATUS: Readonly<Record<SessionErrorCode, number>> = Object.freeze({
  store_unavailable: 503,
  invalid_config: 500,
  session_limit: 409,
  session_conflict: 409,
  invalid_data: 400,
  session_too_large: 413,
  csrf: 403,
  unauthenticated: 401,
  reauthentication_required: 401,
  forbidden: 403,
  too_many_attempts: 429,
  invalid_state: 500,
});

/** The HTTP status an adapter answers for an error code. */
export function httpStatusOf(code: SessionErrorCode): number {
  return STATUS[code];
}

/** The JSON body an adapter answers for a session error: a code, never a stack. */
export function errorBodyOf(error: SessionError): { error: string } {
  return { error: error.code === 'store_unavailable' ? 'session_store_unavailable' : error.code };
}
