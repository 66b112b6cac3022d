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
  /** The handle was used after its request finished, or a method was called in a state where it is meaningless. */
  | 'invalid_state';

export interface SessionErrorOptions {
  cause?: unknown;
}

export class SessionError extends Error {
  override readonly name = 'SessionError';
  readonly code: SessionErrorCode;

  constructor(code: SessionErrorCode, message: string, options: SessionErrorOptions = {}) {
    super(message.startsWith('[tessera]') ? message : `[tessera] ${message}`, { cause: options.cause });
    this.code = code;
  }
}

export function isSessionError(error: unknown, code?: SessionErrorCode): error is SessionError {
  return error instanceof SessionError && (code === undefined || error.code === code);
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
