/**
 * The handle handlers use: typed data, login/logout, and the caller's devices.
 *
 * Type your data once with module augmentation:
 *
 *   declare module '@tessera/session-core' {
 *     interface SessionData { cart: string[]; counter: number }
 *   }
 */

import type { SessionInfo } from './admin.js';
import type { EndReason } from './events.js';
import type { IsJson } from './json.js';

/**
 * Augment this interface to type session data. Unlisted keys are `unknown`. Values are JSON:
 * a key declared with a type JSON cannot hold (`Date`, `Map`, a class with methods) cannot be
 * read or written (see `JsonKey`).
 */
// biome-ignore lint/suspicious/noEmptyInterface: augmented by users
export interface SessionData {}

/** Keys a handler may use: the augmented ones, or any string when none are declared. */
export type DataKey<D> = keyof D extends never ? string : keyof D & string;
export type DataValue<D, K extends string> = K extends keyof D ? D[K] : unknown;

/**
 * What `get`/`set` accept for key `K`: `K` itself when its declared type is JSON, else this
 * type, which no string is assignable to. The compiler then names the key at the call site:
 * `Argument of type '"at"' is not assignable to parameter of type 'NotJsonKey<"at">'`.
 */
export interface NotJsonKey<K extends string> {
  readonly 'this session key is declared with a type JSON cannot hold (use JsonValue types)': K;
}
export type JsonKey<D, K extends string> = K extends string
  ? IsJson<DataValue<D, K>> extends true
    ? K
    : NotJsonKey<K>
  : never;

export interface LoginOptions {
  /** Idle timeout for this login, ms. @default the manager's idleTimeoutMs */
  readonly idleTimeoutMs?: number;
  /** Absolute lifetime for this login, ms. @default the manager's absoluteTimeoutMs */
  readonly absoluteTimeoutMs?: number;
}

export interface Session<D = SessionData> {
  /** Public handle of the current session (safe to show and log), or null when there is none. */
  readonly handle: string | null;
  /** True until the session has been stored (a first write in this request). */
  readonly isNew: boolean;
  readonly authenticated: boolean;
  readonly userId: string | null;
  /** ms since epoch; null without a session. */
  readonly createdAt: number | null;
  readonly lastSeenAt: number | null;
  /** When the session expires if left idle (never later than `absoluteExpiresAt`). */
  readonly expiresAt: number | null;
  readonly absoluteExpiresAt: number | null;
  /** When the user last (re-)authenticated; for "recent login" checks. */
  readonly authenticatedAt: number | null;
  /** Why the session this request presented is not usable (expired, revoked...), else null. */
  readonly endedReason: EndReason | null;
  /** The CSRF token to put in forms or the `x-csrf-token` header. */
  readonly csrfToken: string;

  get<K extends DataKey<D>>(key: JsonKey<D, K>): DataValue<D, K> | undefined;
  /**
   * Set a top-level key to a JSON value (plain objects, arrays, strings, finite numbers,
   * booleans, null; at most 64 levels deep), else `invalid_data` (400). Refused with
   * `session_too_large` (413) when the data would pass `maxDataBytes` or `maxKeys`; a refused
   * call changes nothing. Mutating a returned object does not save it: set it again.
   */
  set<K extends DataKey<D>>(key: JsonKey<D, K>, value: DataValue<D, K>): void;
  delete(key: DataKey<D>): void;
  has(key: DataKey<D>): boolean;
  keys(): string[];
  /** A plain copy of the data. */
  toJSON(): Record<string, unknown>;

  /** Authenticate: a new token, the old one destroyed atomically; the cap enforced. Rejects `session_limit` at the cap with `reject`. */
  login(userId: string, options?: LoginOptions): Promise<void>;
  /** Log out: end the session (its record deleted from the store) and expire the cookie. */
  logout(): Promise<void>;
  /** A new token for the same session (same user, same data, same absolute deadline). */
  regenerate(): Promise<void>;
  /** Write pending changes now rather than at the end of the request. */
  save(): Promise<void>;

  /** The signed-in user's sessions ("your devices"), current one marked. */
  listSessions(): Promise<SessionInfo[]>;
  /** Revoke one of the signed-in user's sessions by its public handle; answers whether it did. */
  revokeSession(handle: string): Promise<boolean>;
  /** Log out the user's other devices (all sessions but this one); answers how many were revoked. */
  revokeOtherSessions(): Promise<number>;
}
