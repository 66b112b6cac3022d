/**
 * The store contract: what a session store must do, in what units, with what atomicity.
 *
 * Conventions for every method:
 * - Times are milliseconds since the Unix epoch, durations are milliseconds. A store never
 *   reads its own clock for session logic: it uses the `now` it is given, so an injected
 *   clock drives every deadline. (A store may use relative TTLs computed from `now`.)
 * - A store never sees a session token. It sees a `SessionKey`, whose `id` is the at-rest
 *   hash of the token (SHA-256 or HMAC-SHA-256, base64url, 43 characters).
 * - Session data reaches the store already encoded: one JSON text per top-level key
 *   (`EncodedData`). The store returns equivalent JSON text per key (it may normalise
 *   whitespace or object key order, as Postgres `jsonb` does) and never interprets it.
 *   The core validates everything a store returns.
 * - "One round trip" means one request/response exchange with the backing service
 *   (one Lua script, one pipeline, one SQL statement, one memcached multi-get). A backend
 *   without server-side scripting may implement a conditional write as a CAS read then a
 *   CAS write (two round trips); it says so in its README (memcached does).
 * - A store rejects (throws or returns a rejected promise) when the backing service
 *   failed or timed out (the core turns that into `SessionError('store_unavailable')`), or
 *   with `SessionError('invalid_state')` for a programming error such as a key whose tag did
 *   not come from `shardTag`. "Not found" is never an error.
 * - Bounded data: a store that declares `limits` refuses, in `create`, `update` and `rotate`,
 *   to write a record whose data would be over them (size as `sizeOfData` in limits.ts
 *   measures it), by rejecting with `SessionError('session_too_large')` and writing nothing.
 *   For `update` the check is on the merged result, inside the same atomic step, so
 *   concurrent writers cannot grow a record past the limit together; an update that only
 *   removes keys always passes. The core enforces its policy first; the store's check stops
 *   writers with another policy (or an older or buggy one).
 *
 * The generic fallback `fromKeyValueStore` (see `kv-store.ts`) builds a full store from
 * get/set/delete; it declares `atomicMerge: false, atomicRotate: false`.
 */

import { SessionError } from './errors.js';
import type { DataLimits } from './limits.js';
import type { ThrottleCounters } from './throttle/counters.js';

/** Identifies a stored session. Contains no secret. */
export interface SessionKey {
  /** At-rest hash of the token: base64url SHA-256 or HMAC-SHA-256, 43 characters. */
  readonly id: string;
  /**
   * Routing tag chosen by `SessionStore.shardTag` when the token was minted, or `''`.
   * Lets a clustered store put a user's sessions and index in one shard. Not secret.
   */
  readonly tag: string;
}

/** Top-level session data keys mapped to their JSON text. */
export type EncodedData = Readonly<Record<string, string>>;

/** Where the session was created or logged in from, for the devices list and anomaly checks. */
export interface StoredClient {
  /** Client IP as the adapter resolved it (after `trustProxy`), or `''` if unknown. */
  readonly ip: string;
  /** The IP's network: /24 for IPv4, /64 for IPv6; `''` if unknown. */
  readonly ipPrefix: string;
  /** User agent, truncated to 256 characters. */
  readonly userAgent: string;
  /** Short hash of the user agent, compared on each request. */
  readonly uaHash: string;
}

/** Everything a store keeps about one session. */
export interface StoredSession {
  /** Record format version. Currently always 1; anything else is corrupt. */
  readonly version: 1;
  /** Public handle: safe to show and to log, never the token. Unique per session. */
  readonly handle: string;
  /** `null` for an anonymous session. */
  readonly userId: string | null;
  /** When the session (this token) was created, ms since epoch. */
  readonly createdAt: number;
  /** Last touch, ms since epoch. The idle deadline is `lastSeenAt + idleTimeoutMs`. */
  readonly lastSeenAt: number;
  /** Idle timeout of this session, ms (per login; 0 disables idle expiry). */
  readonly idleTimeoutMs: number;
  /** Hard deadline, ms since epoch. Never moves for a given token. */
  readonly absoluteExpiresAt: number;
  /** Last (re-)authentication, ms since epoch; `null` when anonymous. */
  readonly authenticatedAt: number | null;
  readonly client: StoredClient | null;
  readonly data: EncodedData;
}

/**
 * When the session stops being valid: the earlier of the idle and absolute deadlines.
 * Stores use it for TTLs; an idle timeout of 0 means "no idle expiry".
 */
export function expiresAtOf(
  s: Pick<StoredSession, 'lastSeenAt' | 'idleTimeoutMs' | 'absoluteExpiresAt'>,
): number {
  return s.idleTimeoutMs > 0
    ? Math.min(s.lastSeenAt + s.idleTimeoutMs, s.absoluteExpiresAt)
    : s.absoluteExpiresAt;
}

/** A delta: keys to set (to new JSON text) and keys to remove. Never both for one key. */
export interface SessionPatch {
  readonly set: EncodedData;
  readonly unset: readonly string[];
}

/** The options every store call takes: the core's clock reading (see "Conventions" above). */
export interface StoreCallOptions {
  /** ms since the Unix epoch, from the manager's clock; the store's only notion of time. */
  readonly now: number;
}

/**
 * What `load` found. A store keeps no tombstones: a session that was destroyed, revoked,
 * evicted or never existed is `missing` alike (the core's events say why a session ended,
 * where it ended).
 */
export type LoadResult =
  /** `touched` is true when this load extended the idle deadline (and wrote). */
  | { readonly status: 'found'; readonly session: StoredSession; readonly touched: boolean }
  | { readonly status: 'missing' }
  /** The stored bytes could not be decoded. The core reports it and destroys the key. */
  | { readonly status: 'corrupt'; readonly detail: string };

export interface LoadOptions extends StoreCallOptions {
  /**
   * Touch when `now - lastSeenAt >= touchIntervalMs` and the session is still valid:
   * set `lastSeenAt = now` and extend the expiry to `expiresAtOf(updated)` (never past
   * `absoluteExpiresAt`). Inside the interval, a load writes nothing.
   */
  readonly touchIntervalMs: number;
}

export type UpdateResult = 'ok' | 'missing';

export interface RotateInput extends StoreCallOptions {
  /**
   * The session being replaced, or `null` when there is none stored. When given, it must
   * still exist: the store deletes it and removes it from `userId`'s index in the same
   * atomic step, or answers `conflict` and changes nothing. This is what makes two
   * concurrent rotations of one token produce exactly one new token.
   */
  readonly from: { readonly key: SessionKey; readonly userId: string | null } | null;
  /** The new session. Its expiry is `expiresAtOf(session)`. */
  readonly to: { readonly key: SessionKey; readonly session: StoredSession };
  /**
   * For an authenticated `to` (userId set): the concurrent-session cap. Count the user's
   * live sessions (expired index entries are pruned, never counted; `from` never counts).
   * If the count is at `max`: `evict-oldest` destroys the oldest by `createdAt` until there
   * is room; `reject` answers `limit` and changes nothing. `max` is an integer >= 1 (the
   * core never sends less; "no cap" is `Number.MAX_SAFE_INTEGER`). `null` only for anonymous sessions.
   * A store that must split a rotation across shards (Redis Cluster, anonymous -> user) says
   * in its README what it cannot undo when the second step finds a conflict.
   */
  readonly limit: { readonly max: number; readonly onLimit: 'evict-oldest' | 'reject' } | null;
}

export interface EvictedSession {
  readonly handle: string;
}

export type RotateResult =
  | { readonly status: 'ok'; readonly evicted: readonly EvictedSession[] }
  | { readonly status: 'limit' }
  | { readonly status: 'conflict' };

export interface DestroyOptions extends StoreCallOptions {
  /** Owner, so the index entry goes too. */
  readonly userId: string | null;
}

/**
 * Which of a user's sessions `revokeUserSessions` ends. At most one of `only` and `except`:
 * neither revokes them all.
 */
export interface RevokeOptions extends StoreCallOptions {
  /** Revoke just the session with this public handle (if it is the user's). */
  readonly only?: string;
  /** Revoke all but this one (the caller's own session, for "log out other devices"). */
  readonly except?: SessionKey;
}

/**
 * Rejects, with `invalid_state` (a programming error), `RevokeOptions` that name both `only`
 * and `except`, or an `only` that is not a non-empty string: a store that read `''` as "no
 * `only`" would revoke every session. Stores call it first, so a bad call changes nothing.
 */
export function checkRevokeOptions(options: RevokeOptions): void {
  const { only, except } = options;
  if (only !== undefined && except !== undefined) {
    throw new SessionError('invalid_state', 'revokeUserSessions takes `only` or `except`, not both.');
  }
  if (only !== undefined && (typeof only !== 'string' || only.length === 0)) {
    throw new SessionError('invalid_state', 'revokeUserSessions: `only` must be a non-empty handle.');
  }
}

/** One entry of a user's session list. */
export interface StoredSessionInfo {
  readonly handle: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
  readonly absoluteExpiresAt: number;
  readonly client: StoredClient | null;
  /** The key, so the core can tell which one is the caller's. Never shown to users. */
  readonly key: SessionKey;
}

/** The list entry for a stored session (what `listUserSessions` answers per session). */
export function storedSessionInfoOf(session: StoredSession, key: SessionKey): StoredSessionInfo {
  return {
    handle: session.handle,
    createdAt: session.createdAt,
    lastSeenAt: session.lastSeenAt,
    expiresAt: expiresAtOf(session),
    absoluteExpiresAt: session.absoluteExpiresAt,
    client: session.client,
    key,
  };
}

/**
 * What the store guarantees, declared rather than guessed. A flag exists only because the
 * conformance kit runs the cases it promises. Other properties (may the store evict live
 * sessions, do sessions survive a restart, is the per-user index exact) are the store's
 * README's to state in prose: no code branches on them.
 */
export interface StoreCapabilities {
  /** Concurrent `update`s of different keys of one session never lose each other. */
  readonly atomicMerge: boolean;
  /** `rotate` is atomic: consumes `from` at most once, and the cap is exact under N parallel logins. */
  readonly atomicRotate: boolean;
  /** `update` never recreates a session that was destroyed, revoked, evicted or expired. */
  readonly noResurrect: boolean;
}

export interface SessionStore {
  /** Short name for logs and errors, e.g. `redis`. */
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  /**
   * The data limits this store enforces on every write (see "Bounded data" above). The
   * manager refuses at start-up a policy above them. Omitted: the store enforces none of its
   * own, and only the core's policy bounds data.
   */
  readonly limits?: DataLimits;
  /**
   * Optional: counters for the login throttle (`createLoginThrottle`), atomic and one round
   * trip per call; see `throttle/counters.ts` for the contract. Every bundled store has them;
   * `fromKeyValueStore` has best-effort ones (`atomic: false`). Omitted: the throttle refuses
   * this store at start-up.
   */
  readonly throttle?: ThrottleCounters;

  /**
   * Optional routing tag for a new token: for an authenticated session a function of
   * `userId` (all of a user's sessions share it), for an anonymous one a random value.
   * At most 16 characters of `[0-9a-z]`. Without it every key's tag is `''`.
   * The tag is in the cookie in the clear: a user's tag must be keyed (an HMAC under a
   * server secret, see `shardTags`), never a plain hash of the user id, or `''`.
   */
  shardTag?(userId: string | null): string;

  /**
   * Read a session and, when due, touch it (see `LoadOptions`): ONE round trip when no touch
   * is due; a store may spend a second on a due touch (once per `touchIntervalMs` of a
   * session), as the Redis store does so that its read is a plain command, not a script.
   * Answers `missing` for an absent session. For one past its expiry
   * (`now >= expiresAtOf(session)`, expiry at exactly `now` included) it answers `found`
   * without touching it, so the core reports why it expired (idle or absolute) and destroys
   * it; or it deletes it and answers `missing`. It must never answer `missing` and keep it:
   * a clock that later steps backwards would revive a session already seen expired.
   */
  load(key: SessionKey, options: LoadOptions): Promise<LoadResult>;

  /**
   * Store a new anonymous session if `key` is free (a record past its expiry does not hold
   * the key), with expiry `expiresAtOf(session)`.
   * One round trip. Answers false (and writes nothing) if the key exists. A session already
   * past its expiry at `now` is created expired: answer true; a later `load` finds nothing or
   * the record as written (storing nothing is fine), and the key stays free. Rejects with
   * `session_too_large` (writing nothing) when `session.data` is over `limits`.
   */
  create(key: SessionKey, session: StoredSession, options: StoreCallOptions): Promise<boolean>;

  /**
   * Apply a delta to an existing session in ONE round trip: set and remove only the keys
   * named, leaving other keys (possibly written by concurrent requests) alone. Never
   * creates: answers `missing` when the session does not exist. Does not change expiry.
   * Rejects with `session_too_large` (writing nothing) when the patch sets keys and the
   * stored data after it, concurrent writes included, would be over `limits`.
   */
  update(key: SessionKey, patch: SessionPatch, options: StoreCallOptions): Promise<UpdateResult>;

  /**
   * Login, privilege change or regenerate, atomically. See `RotateInput`. One round trip where
   * the backend allows. Rejects with `session_too_large` (changing nothing: `from` stays) when
   * `to.session.data` is over `limits`.
   */
  rotate(input: RotateInput): Promise<RotateResult>;

  /** Delete a session and its index entry in one round trip. Answers whether it existed. */
  destroy(key: SessionKey, options: DestroyOptions): Promise<boolean>;

  /** A user's live sessions, oldest first. Prunes expired index entries it meets. */
  listUserSessions(userId: string, options: StoreCallOptions): Promise<readonly StoredSessionInfo[]>;

  /**
   * Revoke a user's sessions in ONE round trip and answer how many it revoked: the one whose
   * public handle is `only` (0 or 1; a handle of another user's session revokes nothing),
   * all but `except`, or all of them. Revoking all (or all but one) is atomic: sessions
   * created by a login that completed before this call never survive it. Rejects with
   * `invalid_state`, changing nothing, when both `only` and `except` are given
   * (`checkRevokeOptions`).
   */
  revokeUserSessions(userId: string, options: RevokeOptions): Promise<number>;

  /** Release what the store opened itself. Never closes a client the user passed in. */
  close?(): Promise<void>;
}
