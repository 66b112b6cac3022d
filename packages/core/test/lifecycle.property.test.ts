// Property tests of the pure lifecycle (SPEC §3): random event sequences with a moving
// clock, effects applied to a model store, invariants checked after every step.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolvePolicy } from '../src/index.js';
import {
  type Effect,
  expiryOf,
  type LifecycleEvent,
  type LifecycleState,
  type SessionMeta,
  transition,
} from '../src/lifecycle.js';

const policy = resolvePolicy({ idleTimeoutMs: 10_000, absoluteTimeoutMs: 50_000, touchIntervalMs: 1_000 });
const client = { ip: '', ipPrefix: '', userAgent: '', uaHash: '' };

type Step =
  | { kind: 'advance'; ms: number }
  | { kind: 'load' }
  | { kind: 'write' }
  | { kind: 'login'; user: string }
  | { kind: 'regenerate' }
  | { kind: 'logout' }
  | { kind: 'revoke' }
  | { kind: 'commit'; dirty: boolean }
  | { kind: 'back'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 12_000 }) }),
  fc.record({ kind: fc.constant('back' as const), ms: fc.integer({ min: 0, max: 5_000 }) }),
  fc.constant({ kind: 'load' as const }),
  fc.constant({ kind: 'write' as const }),
  fc.record({ kind: fc.constant('login' as const), user: fc.constantFrom('alice', 'bob') }),
  fc.constant({ kind: 'regenerate' as const }),
  fc.constant({ kind: 'logout' as const }),
  fc.constant({ kind: 'revoke' as const }),
  fc.record({ kind: fc.constant('commit' as const), dirty: fc.boolean() }),
);

describe('lifecycle invariants (fast-check)', () => {
  it('never valid past a deadline; privilege change changes the token; ended sids never return', () => {
    let runs = 0;
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        runs++;
        let now = 1_000_000;
        let n = 0;
        const mint = () => `sid-${++n}`;
        // Model store: what the effects leave behind.
        const stored = new Map<string, SessionMeta>();
        const dead = new Set<string>();
        let state: LifecycleState = { kind: 'anonymous' };
        const firstAbsolute = new Map<string, number>();
        const run = (effects: readonly Effect[]) => {
          for (const e of effects) {
            if (e.type === 'store.create') stored.set(e.sid, e.meta);
            if (e.type === 'store.rotate') {
              if (e.from) {
                stored.delete(e.from.sid);
                dead.add(e.from.sid);
              }
              stored.set(e.sid, e.meta);
            }
            if (e.type === 'store.destroy') {
              stored.delete(e.sid);
              dead.add(e.sid);
            }
          }
        };
        for (const s of steps) {
          let event: LifecycleEvent | undefined;
          switch (s.kind) {
            case 'advance':
              now += s.ms;
              continue;
            case 'back':
              now -= s.ms;
              continue;
            case 'load': {
              const sid =
                state.kind === 'active' || state.kind === 'ended' || state.kind === 'pending'
                  ? state.sid
                  : 'nope';
              const meta = stored.get(sid);
              // The model store touches when due, like a real one (never past absolute).
              const touched = meta && !expiryOf(meta, now) && now - meta.lastSeenAt >= policy.touchIntervalMs;
              const m2 = touched ? { ...meta, lastSeenAt: now } : meta;
              if (m2) stored.set(sid, m2);
              event = {
                type: 'load',
                sid,
                outcome: m2
                  ? { status: 'found', meta: m2, touched: Boolean(touched) }
                  : { status: 'missing' },
                clientChanges: [],
              };
              break;
            }
            case 'write':
              event = { type: 'write', newSid: mint(), handle: `h${n}`, client };
              break;
            case 'login':
              event = { type: 'login', userId: s.user, newSid: mint(), handle: `h${n}`, client };
              break;
            case 'regenerate':
              event = { type: 'regenerate', newSid: mint(), handle: `h${n}` };
              break;
            case 'logout':
              event = { type: 'logout' };
              break;
            case 'revoke':
              if (state.kind === 'active') {
                stored.delete(state.sid);
                dead.add(state.sid);
              }
              event = { type: 'revoked' };
              break;
            case 'commit':
              event = { type: 'commit', dirty: s.dirty };
              break;
          }
          const before = state;
          const t = transition(state, event!, { now, policy });
          run(t.effects);
          state = t.state;

          if (event!.type === 'load' && state.kind === 'active') {
            // Never valid at or after a deadline.
            expect(now).toBeLessThan(state.meta.absoluteExpiresAt);
            expect(expiryOf(state.meta, now)).toBeNull();
          }
          if (
            (event!.type === 'login' || (event!.type === 'regenerate' && before.kind === 'active')) &&
            'sid' in before
          ) {
            expect(state.kind === 'active' && state.sid).not.toBe(before.sid);
          }
          if (event!.type === 'login')
            expect(state.kind === 'active' && state.meta.userId).toBe(event!.userId);
          if (state.kind === 'active') {
            // A destroyed/rotated/revoked sid never becomes active again.
            expect(dead.has(state.sid)).toBe(false);
            // The absolute deadline of a token never moves.
            const first = firstAbsolute.get(state.sid);
            if (first === undefined) firstAbsolute.set(state.sid, state.meta.absoluteExpiresAt);
            else expect(state.meta.absoluteExpiresAt).toBe(first);
          }
        }
      }),
      { numRuns: 2_000 },
    );
    expect(runs).toBe(2_000);
  });

  it('regenerate keeps the absolute deadline; login starts a new one', () => {
    const now = 5_000;
    const meta: SessionMeta = {
      handle: 'h',
      userId: 'u',
      createdAt: 0,
      lastSeenAt: 0,
      idleTimeoutMs: 10_000,
      absoluteExpiresAt: 50_000,
      authenticatedAt: 0,
      client,
    };
    const active: LifecycleState = { kind: 'active', sid: 's1', meta };
    const r = transition(active, { type: 'regenerate', newSid: 's2', handle: 'h2' }, { now, policy });
    expect(r.state.kind === 'active' && r.state.meta.absoluteExpiresAt).toBe(50_000);
    const l = transition(
      active,
      { type: 'login', userId: 'u', newSid: 's3', handle: 'h3', client },
      { now, policy },
    );
    expect(l.state.kind === 'active' && l.state.meta.absoluteExpiresAt).toBe(now + 50_000);
    expect(l.effects[0]).toMatchObject({
      type: 'store.rotate',
      from: { sid: 's1', userId: 'u' },
      capped: true,
    });
  });
});
