/**
 * The effect interpreter: runs a lifecycle transition's effects (store calls, cookies,
 * events) for one request, in order, and answers the state to adopt once they all succeeded.
 */
import type { DataChanges } from './changes.js';
import { serializeCookie } from './cookie.js';
import { SessionError } from './errors.js';
import type { SessionEvent } from './events.js';
import { type Effect, type LifecycleEvent, type LifecycleState, transition } from './lifecycle.js';
import type { ManagerInternals } from './manager.js';
import type { SessionKey } from './store.js';
import { handleOf } from './token.js';

/** What the interpreter needs of the request it runs for. */
export interface EffectHost {
  readonly m: ManagerInternals;
  readonly changes: DataChanges;
  /** The token came in `tokenHeader`: new tokens go back there too. */
  readonly viaHeader: boolean;
  keyOf(sid: string): SessionKey;
  setCookie(name: string, line: string): void;
  setHeader(name: string, value: string): void;
}

/** Run a transition: effects in order; the state to adopt when they all succeed. */
export async function runTransition(
  host: EffectHost,
  from: LifecycleState,
  event: LifecycleEvent,
  duringLoad: boolean,
): Promise<LifecycleState> {
  const m = host.m;
  const ctx = { now: m.clock.now(), policy: m.policy };
  const next = transition(from, event, ctx);
  let state = next.state;
  for (const effect of next.effects) {
    const outcome = await runEffect(host, effect, ctx.now, duringLoad);
    if (outcome === 'gone') {
      state = transition(state, { type: 'revoked' }, ctx).state;
      host.setCookie(m.cookie.name, serializeCookie(m.cookie, '', { maxAge: 0 }));
    }
  }
  return state;
}

async function runEffect(
  host: EffectHost,
  effect: Effect,
  now: number,
  duringLoad: boolean,
): Promise<'ok' | 'gone'> {
  const { m, changes } = host;
  switch (effect.type) {
    case 'store.create': {
      changes.checkBounds(m.policy);
      const key = host.keyOf(effect.sid);
      const stored = changes.record(effect.meta);
      const taken = changes.take();
      const created = await m
        .call('create', effect.meta.handle, () => m.store.create(key, stored, { now }))
        .catch((error: unknown) => {
          changes.giveBack(taken);
          throw error;
        });
      if (!created) {
        changes.giveBack(taken);
        throw new SessionError('session_conflict', 'a freshly minted token collided with a stored session.');
      }
      return 'ok';
    }
    case 'store.update': {
      // Deletes alone always pass: they are how a session over a lowered limit shrinks.
      if (changes.hasSets()) changes.checkBounds(m.policy);
      const key = host.keyOf(effect.sid);
      const taken = changes.take();
      const patch = changes.patchOf(taken);
      const result = await m
        .call('update', handleOf(key), () => m.store.update(key, patch, { now }))
        .catch((error: unknown) => {
          changes.giveBack(taken);
          throw error;
        });
      // Logged out, revoked or evicted while this request ran: never bring it back.
      return result === 'missing' ? 'gone' : 'ok';
    }
    case 'store.rotate': {
      const key = host.keyOf(effect.sid);
      const from = effect.from ? { key: host.keyOf(effect.from.sid), userId: effect.from.userId } : null;
      // Authenticated sessions always get a limit (so stores always index them); "no cap"
      // is the largest safe integer rather than a special case every store must know.
      const max = Number.isFinite(m.policy.maxSessionsPerUser)
        ? m.policy.maxSessionsPerUser
        : Number.MAX_SAFE_INTEGER;
      const limit = effect.meta.userId !== null ? { max, onLimit: m.policy.onLimit } : null;
      changes.checkBounds(m.policy);
      const session = changes.record(effect.meta);
      const taken = changes.take();
      const result = await m
        .call('rotate', effect.meta.handle, () => m.store.rotate({ now, from, to: { key, session }, limit }))
        .catch((error: unknown) => {
          changes.giveBack(taken);
          throw error;
        });
      if (result.status !== 'ok') changes.giveBack(taken);
      if (result.status === 'limit') {
        throw new SessionError(
          'session_limit',
          `user is at the limit of ${m.policy.maxSessionsPerUser} sessions.`,
        );
      }
      if (result.status === 'conflict') {
        throw new SessionError(
          'session_conflict',
          'the session was rotated or ended by a concurrent request.',
        );
      }
      for (const e of result.evicted)
        m.emit({ type: 'evicted', at: now, handle: e.handle, userId: effect.meta.userId! });
      return 'ok';
    }
    case 'store.destroy': {
      const key = host.keyOf(effect.sid);
      const op = () => m.store.destroy(key, { now, userId: effect.userId });
      if (duringLoad) {
        // Cleaning up an expired or corrupt record is best effort; the request goes on anonymous.
        await m.call('destroy', handleOf(key), op).catch(() => undefined);
      } else {
        await m.call('destroy', handleOf(key), op);
      }
      return 'ok';
    }
    case 'cookie.set': {
      host.setCookie(m.cookie.name, sessionCookieLine(m, effect.sid, effect.absoluteExpiresAt, now));
      if (host.viaHeader && m.tokenHeader) host.setHeader(m.tokenHeader, m.codec.toCookieValue(effect.sid));
      return 'ok';
    }
    case 'cookie.clear':
      host.setCookie(m.cookie.name, serializeCookie(m.cookie, '', { maxAge: 0 }));
      return 'ok';
    case 'emit':
      m.emit({ ...effect.event, at: now } as SessionEvent);
      return 'ok';
  }
}

/** The session cookie for `sid` (`Max-Age` up to the absolute deadline when persistent). */
export function sessionCookieLine(
  m: ManagerInternals,
  sid: string,
  absoluteExpiresAt: number,
  now: number,
): string {
  const maxAge = m.cookie.persistent ? { maxAge: (absoluteExpiresAt - now) / 1000 } : {};
  return serializeCookie(m.cookie, m.codec.toCookieValue(sid), maxAge);
}
