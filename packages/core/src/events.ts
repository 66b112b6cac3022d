/**
 * Session events: the audit log's feed. They carry the session's public handle (a short
 * hash), never the token.
 */

import type { MigrationOutcome } from './migrate.js';

/**
 * Why a session ended: the one list, used by `Session.endedReason` and the events.
 * - `idle`, `absolute`: it expired (the idle or the absolute deadline passed);
 * - `logout`: the user logged out (this request);
 * - `revoked`: it ended elsewhere while this request ran (revoked, evicted or logged out
 *   by another request: the store keeps no tombstones to say which);
 * - `anomaly`: the client changed under `clientBinding: 'reject'`;
 * - `corrupt`: the stored record could not be read;
 * - `unknown`: the store does not know the presented token (never existed, or ended before).
 */
export type EndReason = 'idle' | 'absolute' | 'logout' | 'revoked' | 'anomaly' | 'corrupt' | 'unknown';

/**
 * Why a presented token was refused before any session was read (the `rejected` event):
 * the cookie header was over its limits (`oversized`) or carried the cookie twice
 * (`duplicate`), the token was `malformed` or its signature `forged`, or the lookup found
 * nothing usable (`unknown`, `corrupt`: the same words as `EndReason`).
 */
export type RejectReason = 'malformed' | 'forged' | 'unknown' | 'duplicate' | 'oversized' | 'corrupt';

interface Base {
  /** ms since epoch, from the manager's clock. */
  readonly at: number;
}

export type SessionEvent =
  | (Base & { readonly type: 'created'; readonly handle: string })
  | (Base & {
      readonly type: 'login';
      readonly handle: string;
      readonly userId: string;
      readonly previous: string | null;
    })
  | (Base & {
      readonly type: 'rotated';
      readonly handle: string;
      readonly userId: string | null;
      readonly previous: string;
    })
  | (Base & { readonly type: 'touched'; readonly handle: string; readonly userId: string | null })
  | (Base & {
      readonly type: 'expired';
      readonly handle: string;
      readonly userId: string | null;
      readonly reason: Extract<EndReason, 'idle' | 'absolute'>;
    })
  | (Base & { readonly type: 'logout'; readonly handle: string; readonly userId: string | null })
  | (Base & {
      readonly type: 'revoked';
      readonly handle: string;
      readonly userId: string;
      readonly scope: 'one' | 'all' | 'others' | 'anomaly';
    })
  | (Base & { readonly type: 'evicted'; readonly handle: string; readonly userId: string })
  | (Base & {
      readonly type: 'anomaly';
      readonly handle: string;
      readonly userId: string | null;
      readonly kind: 'ip' | 'user-agent';
      readonly expected: string;
      readonly actual: string;
      readonly action: 'event' | 'reject';
    })
  | (Base & { readonly type: 'rejected'; readonly reason: RejectReason; readonly handle: string | null })
  | (Base & {
      /** A request without a Tessera cookie presented an old (express-session) one; see `MigrationOutcome`. */
      readonly type: 'migrated';
      readonly from: 'express-session';
      readonly outcome: MigrationOutcome;
      /** The new (or, `joined`, shared) session; null when none was made. */
      readonly handle: string | null;
      readonly userId: string | null;
    })
  | (Base & {
      readonly type: 'store-error';
      readonly operation: string;
      readonly message: string;
      readonly handle: string | null;
    });

export type SessionEventType = SessionEvent['type'];
export type SessionEventOf<T extends SessionEventType> = Extract<SessionEvent, { type: T }>;
export type SessionEventListener<T extends SessionEventType = SessionEventType> = (
  event: SessionEventOf<T>,
) => void;

/** A minimal typed emitter (the core cannot depend on node:events). A throwing listener never breaks a request. */
export class SessionEvents {
  readonly #listeners = new Map<SessionEventType | '*', Set<(event: SessionEvent) => void>>();
  #onListenerError: (error: unknown) => void;

  constructor(
    onListenerError: (error: unknown) => void = (e) => console.error('[tessera] event listener threw', e),
  ) {
    this.#onListenerError = onListenerError;
  }

  /** Listen to one event type, or `'*'` for all. Returns an unsubscribe function. */
  on<T extends SessionEventType>(type: T, listener: SessionEventListener<T>): () => void;
  on(type: '*', listener: (event: SessionEvent) => void): () => void;
  on(type: SessionEventType | '*', listener: (event: never) => void): () => void {
    let set = this.#listeners.get(type);
    if (!set) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    const fn = listener as (event: SessionEvent) => void;
    set.add(fn);
    return () => set.delete(fn);
  }

  /** Whether anyone listens to `type` (lets the hot path skip building events). */
  has(type: SessionEventType): boolean {
    return (this.#listeners.get(type)?.size ?? 0) > 0 || (this.#listeners.get('*')?.size ?? 0) > 0;
  }

  emit(event: SessionEvent): void {
    for (const key of [event.type, '*'] as const) {
      const set = this.#listeners.get(key);
      if (!set) continue;
      for (const fn of set) {
        try {
          fn(event);
        } catch (error) {
          this.#onListenerError(error);
        }
      }
    }
  }
}
