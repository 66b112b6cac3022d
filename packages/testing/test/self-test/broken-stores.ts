/**
 * Deliberately broken stores for the kit's self-test: each is a real MemoryStore with ONE
 * guarantee of the store contract taken away. The contract suite must fail on every one of
 * them; otherwise it does not test that guarantee.
 */
import { MemoryStore, type SessionStore } from '@tessera/session-core';
import { storedSession } from '../../src/fixtures.js';

type Overrides = (inner: MemoryStore) => Partial<SessionStore>;

function wrap(overrides: Overrides, extra: Partial<SessionStore> = {}): SessionStore {
  const inner = new MemoryStore({ warnInProduction: false });
  const base: SessionStore = {
    name: inner.name,
    capabilities: inner.capabilities,
    limits: inner.limits,
    load: (k, o) => inner.load(k, o),
    create: (k, s, o) => inner.create(k, s, o),
    update: (k, p, o) => inner.update(k, p, o),
    destroy: (k, o) => inner.destroy(k, o),
    rotate: (i) => inner.rotate(i),
    listUserSessions: (u, o) => inner.listUserSessions(u, o),
    revokeUserSessions: (u, o) => inner.revokeUserSessions(u, o),
    close: async () => {},
  };
  return { ...base, ...overrides(inner), ...extra };
}

/** What each broken store gets wrong, and the store. `control` breaks nothing: it must pass. */
export const BROKEN: ReadonlyArray<{ readonly name: string; make(): SessionStore }> = [
  { name: 'control (nothing broken)', make: () => wrap(() => ({})) },
  {
    name: 'create overwrites an existing key',
    make: () =>
      wrap((inner) => ({
        create: async (k, s, o) => {
          await inner.destroy(k, { now: o.now, userId: null });
          return inner.create(k, s, o);
        },
      })),
  },
  {
    name: 'update recreates a missing session',
    make: () =>
      wrap((inner) => ({
        update: async (k, p, o) => {
          const r = await inner.update(k, p, o);
          if (r !== 'missing') return r;
          await inner.create(k, { ...storedSession({ now: o.now }), data: { ...p.set } }, o);
          return 'ok';
        },
      })),
  },
  {
    name: 'update replaces the whole data',
    make: () =>
      wrap((inner) => ({
        update: async (k, p, o) => {
          const r = await inner.load(k, { now: o.now, touchIntervalMs: Number.MAX_SAFE_INTEGER });
          if (r.status !== 'found') return 'missing';
          const others = Object.keys(r.session.data).filter((key) => !(key in p.set));
          return inner.update(k, { set: p.set, unset: [...p.unset, ...others] }, o);
        },
      })),
  },
  {
    name: 'load never touches',
    make: () =>
      wrap((inner) => ({
        load: (k, o) => inner.load(k, { ...o, touchIntervalMs: Number.MAX_SAFE_INTEGER }),
      })),
  },
  {
    name: 'rotate does not consume the old session',
    make: () =>
      wrap((inner) => ({
        rotate: async (input) => {
          const result = await inner.rotate({ ...input, from: null });
          return result;
        },
      })),
  },
  {
    name: 'rotate ignores the cap',
    make: () =>
      wrap((inner) => ({
        rotate: (input) =>
          inner.rotate({ ...input, limit: input.limit && { ...input.limit, max: Number.MAX_SAFE_INTEGER } }),
      })),
  },
  {
    name: 'destroy deletes nothing',
    make: () => wrap(() => ({ destroy: async () => true })),
  },
  {
    name: 'revoke-all deletes nothing',
    make: () =>
      wrap((inner) => ({
        revokeUserSessions: async (u, o) => (await inner.listUserSessions(u, o)).length,
      })),
  },
  {
    name: 'revoke by handle revokes them all',
    make: () =>
      wrap((inner) => ({
        revokeUserSessions: (u, o) => inner.revokeUserSessions(u, { now: o.now }),
      })),
  },
  {
    name: 'revoke takes both only and except',
    make: () =>
      wrap((inner) => ({
        revokeUserSessions: (u, o) =>
          inner.revokeUserSessions(u, o.only === undefined ? o : { now: o.now, only: o.only }),
      })),
  },
  {
    name: 'the device list forgets sessions',
    make: () => wrap(() => ({ listUserSessions: async () => [] })),
  },
  {
    name: 'declared data limits are not enforced',
    // Declares a 1 KiB limit while its inner store takes 64 KiB.
    make: () => wrap(() => ({}), { limits: Object.freeze({ maxDataBytes: 1024, maxKeys: 256 }) }),
  },
];
