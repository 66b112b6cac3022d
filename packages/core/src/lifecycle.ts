/**
 * The session lifecycle as a pure state machine. `transition(state, event, context)`
 * returns the next state and the effects to run (store operations, cookie changes,
 * events); it reads no clock and draws no randomness: time comes in `context.now`, new
 * tokens come in the events. The manager runs the effects and adopts the next state only
 * when they succeed, so a failed store call leaves the request where it was.
 *
 * Invariants (property-tested in lifecycle.test.ts):
 * - a session is never `active` at or after its absolute deadline, nor past its idle one;
 * - login and regenerate always move to a new sid;
 * - a sid that has ended (destroyed, revoked, evicted, expired) never becomes active again.
 */
import type { ClientChange } from './client.js';
import type { EndReason, SessionEvent } from './events.js';
import type { Policy } from './policy.js';
import type { StoredClient, StoredSession } from './store.js';

/** What the machine knows of a session besides its data: the stored record without data and version. */
export type SessionMeta = Omit<StoredSession, 'version' | 'data'>;

export type LifecycleState =
  /** No session: nothing stored, nothing to send. */
  | { readonly kind: 'anonymous' }
  /** Minted by a first write; stored at commit (strict mode: never before). */
  | { readonly kind: 'pending'; readonly sid: string; readonly meta: SessionMeta }
  /** Stored and valid. */
  | { readonly kind: 'active'; readonly sid: string; readonly meta: SessionMeta }
  /** The request's session ended; the sid is dead. Behaves as anonymous for new writes. */
  | {
      readonly kind: 'ended';
      readonly sid: string;
      readonly reason: EndReason;
      readonly userId: string | null;
    };

export type LoadOutcome =
  | { readonly status: 'found'; readonly meta: SessionMeta; readonly touched: boolean }
  | { readonly status: 'missing' }
  | { readonly status: 'corrupt' };

export type LifecycleEvent =
  | {
      readonly type: 'load';
      readonly sid: string;
      readonly outcome: LoadOutcome;
      /** Client changes against the recorded one (computed by the caller from hashes). */
      readonly clientChanges: readonly ClientChange[];
    }
  /** The handler wrote data. `newSid` is used only when a session has to be minted. */
  | {
      readonly type: 'write';
      readonly newSid: string;
      readonly handle: string;
      readonly client: StoredClient;
      /** The new session's lifetime when not the policy's (a migrated session's, see request-migrate.ts). */
      readonly absoluteTimeoutMs?: number;
    }
  | {
      readonly type: 'login';
      readonly userId: string;
      readonly newSid: string;
      readonly handle: string;
      readonly client: StoredClient;
      readonly idleTimeoutMs?: number;
      readonly absoluteTimeoutMs?: number;
    }
  /** Regenerate: new sid, same user, same absolute deadline. */
  | { readonly type: 'regenerate'; readonly newSid: string; readonly handle: string }
  | { readonly type: 'logout' }
  /** A commit found the session gone from the store (logged out, revoked or evicted elsewhere). */
  | { readonly type: 'revoked' }
  /** End of request: store what is pending. */
  | { readonly type: 'commit'; readonly dirty: boolean };

export type Effect =
  | { readonly type: 'store.create'; readonly sid: string; readonly meta: SessionMeta }
  | { readonly type: 'store.update'; readonly sid: string }
  | {
      readonly type: 'store.rotate';
      readonly from: { readonly sid: string; readonly userId: string | null } | null;
      readonly sid: string;
      readonly meta: SessionMeta;
      /** Index and cap the session under its user (false only for anonymous sessions). */
      readonly capped: boolean;
    }
  | { readonly type: 'store.destroy'; readonly sid: string; readonly userId: string | null }
  | { readonly type: 'cookie.set'; readonly sid: string; readonly absoluteExpiresAt: number }
  | { readonly type: 'cookie.clear' }
  | { readonly type: 'emit'; readonly event: DistributiveOmit<SessionEvent, 'at'> };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface TransitionContext {
  readonly now: number;
  readonly policy: Policy;
}

export interface Transition {
  readonly state: LifecycleState;
  readonly effects: readonly Effect[];
}

export const ANONYMOUS: LifecycleState = Object.freeze({ kind: 'anonymous' });

/** Why a stored session is no longer valid at `now`, or null while it is. */
export function expiryOf(meta: SessionMeta, now: number): Extract<EndReason, 'idle' | 'absolute'> | null {
  if (now >= meta.absoluteExpiresAt) return 'absolute';
  if (meta.idleTimeoutMs > 0 && now >= meta.lastSeenAt + meta.idleTimeoutMs) return 'idle';
  return null;
}

function freshMeta(
  ctx: TransitionContext,
  handle: string,
  userId: string | null,
  client: StoredClient | null,
  idleTimeoutMs = ctx.policy.idleTimeoutMs,
  absoluteTimeoutMs = ctx.policy.absoluteTimeoutMs,
): SessionMeta {
  return {
    handle,
    userId,
    createdAt: ctx.now,
    lastSeenAt: ctx.now,
    idleTimeoutMs,
    absoluteExpiresAt: ctx.now + absoluteTimeoutMs,
    authenticatedAt: userId === null ? null : ctx.now,
    client,
  };
}

const same = (state: LifecycleState): Transition => ({ state, effects: [] });

export function transition(state: LifecycleState, event: LifecycleEvent, ctx: TransitionContext): Transition {
  switch (event.type) {
    case 'load':
      return onLoad(event, ctx);

    case 'write':
      if (state.kind === 'anonymous' || state.kind === 'ended') {
        return same({
          kind: 'pending',
          sid: event.newSid,
          meta: freshMeta(ctx, event.handle, null, event.client, undefined, event.absoluteTimeoutMs),
        });
      }
      return same(state);

    case 'login': {
      const meta = freshMeta(
        ctx,
        event.handle,
        event.userId,
        event.client,
        event.idleTimeoutMs,
        event.absoluteTimeoutMs,
      );
      const from = state.kind === 'active' ? { sid: state.sid, userId: state.meta.userId } : null;
      const previous = state.kind === 'active' ? state.meta.handle : null;
      return {
        state: { kind: 'active', sid: event.newSid, meta },
        effects: [
          { type: 'store.rotate', from, sid: event.newSid, meta, capped: true },
          { type: 'cookie.set', sid: event.newSid, absoluteExpiresAt: meta.absoluteExpiresAt },
          { type: 'emit', event: { type: 'login', handle: meta.handle, userId: event.userId, previous } },
        ],
      };
    }

    case 'regenerate': {
      if (state.kind === 'pending') {
        return same({ kind: 'pending', sid: event.newSid, meta: { ...state.meta, handle: event.handle } });
      }
      if (state.kind !== 'active') return same(state);
      // A new token never buys a new lifetime: the absolute deadline stays.
      const meta: SessionMeta = {
        ...state.meta,
        handle: event.handle,
        createdAt: ctx.now,
        lastSeenAt: ctx.now,
      };
      return {
        state: { kind: 'active', sid: event.newSid, meta },
        effects: [
          {
            type: 'store.rotate',
            from: { sid: state.sid, userId: state.meta.userId },
            sid: event.newSid,
            meta,
            capped: state.meta.userId !== null,
          },
          { type: 'cookie.set', sid: event.newSid, absoluteExpiresAt: meta.absoluteExpiresAt },
          {
            type: 'emit',
            event: { type: 'rotated', handle: meta.handle, userId: meta.userId, previous: state.meta.handle },
          },
        ],
      };
    }

    case 'logout':
      if (state.kind === 'active') {
        return {
          state: { kind: 'ended', sid: state.sid, reason: 'logout', userId: state.meta.userId },
          effects: [
            { type: 'store.destroy', sid: state.sid, userId: state.meta.userId },
            { type: 'cookie.clear' },
            {
              type: 'emit',
              event: { type: 'logout', handle: state.meta.handle, userId: state.meta.userId },
            },
          ],
        };
      }
      if (state.kind === 'pending')
        return same({ kind: 'ended', sid: state.sid, reason: 'logout', userId: null });
      return same(state);

    case 'revoked':
      if (state.kind !== 'active') return same(state);
      return {
        state: { kind: 'ended', sid: state.sid, reason: 'revoked', userId: state.meta.userId },
        effects: [{ type: 'cookie.clear' }],
      };

    case 'commit':
      if (state.kind === 'pending') {
        return {
          state: { kind: 'active', sid: state.sid, meta: state.meta },
          effects: [
            { type: 'store.create', sid: state.sid, meta: state.meta },
            { type: 'cookie.set', sid: state.sid, absoluteExpiresAt: state.meta.absoluteExpiresAt },
            { type: 'emit', event: { type: 'created', handle: state.meta.handle } },
          ],
        };
      }
      if (state.kind === 'active' && event.dirty) {
        return { state, effects: [{ type: 'store.update', sid: state.sid }] };
      }
      return same(state);
  }
}

function onLoad(event: Extract<LifecycleEvent, { type: 'load' }>, ctx: TransitionContext): Transition {
  const { outcome, sid } = event;
  if (outcome.status === 'missing') {
    // Strict mode: an unknown token is never adopted; tell the browser to drop it.
    return {
      state: { kind: 'ended', sid, reason: 'unknown', userId: null },
      effects: [{ type: 'cookie.clear' }],
    };
  }
  if (outcome.status === 'corrupt') {
    return {
      state: { kind: 'ended', sid, reason: 'corrupt', userId: null },
      effects: [{ type: 'store.destroy', sid, userId: null }, { type: 'cookie.clear' }],
    };
  }
  const { meta } = outcome;
  const expired = expiryOf(meta, ctx.now);
  if (expired) {
    return {
      state: { kind: 'ended', sid, reason: expired, userId: meta.userId },
      effects: [
        { type: 'store.destroy', sid, userId: meta.userId },
        { type: 'cookie.clear' },
        {
          type: 'emit',
          event: { type: 'expired', handle: meta.handle, userId: meta.userId, reason: expired },
        },
      ],
    };
  }
  const effects: Effect[] = [];
  if (outcome.touched)
    effects.push({ type: 'emit', event: { type: 'touched', handle: meta.handle, userId: meta.userId } });
  const binding = ctx.policy.clientBinding;
  if (binding !== 'off' && meta.userId !== null && event.clientChanges.length > 0) {
    for (const change of event.clientChanges) {
      effects.push({
        type: 'emit',
        event: { type: 'anomaly', handle: meta.handle, userId: meta.userId, ...change, action: binding },
      });
    }
    if (binding === 'reject') {
      return {
        state: { kind: 'ended', sid, reason: 'anomaly', userId: meta.userId },
        effects: [
          ...effects,
          { type: 'store.destroy', sid, userId: meta.userId },
          { type: 'cookie.clear' },
          {
            type: 'emit',
            event: { type: 'revoked', handle: meta.handle, userId: meta.userId, scope: 'anomaly' },
          },
        ],
      };
    }
  }
  return { state: { kind: 'active', sid, meta }, effects };
}
