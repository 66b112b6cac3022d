/**
 * Issue #15 ("the store contract, smaller"): each store maps its raw fields and the core
 * validates the record, once, with `validateStored`; and one revoke method whose options
 * cannot be read as "revoke everything" by mistake.
 */
import { describe, expect, it } from 'vitest';
import { checkRevokeOptions, type RawStoredSession, validateStored } from '../src/index.js';

const good: RawStoredSession = {
  version: 1,
  handle: 'h1',
  userId: 'alice',
  createdAt: 1,
  lastSeenAt: 2,
  idleTimeoutMs: 0,
  absoluteExpiresAt: 3,
  authenticatedAt: null,
  client: null,
  data: { cart: '[1]' },
};

describe('validateStored: the one check of a record a store read (issue #15)', () => {
  it('answers the record itself when every field is right', () => {
    expect(validateStored(good)).toBe(good);
  });

  it.each([
    ['version', 2, 'unknown version 2'],
    ['handle', '', 'bad handle'],
    ['userId', '', 'bad userId'],
    ['createdAt', undefined, 'bad createdAt'],
    ['lastSeenAt', Number.NaN, 'bad lastSeenAt'],
    // Postgres checked this one alone; every store gets it now.
    ['idleTimeoutMs', -1, 'bad idleTimeoutMs'],
    ['absoluteExpiresAt', '3', 'bad absoluteExpiresAt'],
    ['authenticatedAt', '2', 'bad authenticatedAt'],
    ['client', { ip: '' }, 'bad client'],
    ['data', ['x'], 'bad data'],
    ['data', { cart: 1 }, 'data "cart" is not JSON text'],
  ])('says what is wrong with %s = %j', (field, value, detail) => {
    expect(validateStored({ ...good, [field]: value })).toBe(detail);
  });

  it('never throws, even on a getter that does', () => {
    const raw = { ...good };
    Object.defineProperty(raw, 'handle', {
      get() {
        throw new Error('boom');
      },
    });
    expect(validateStored(raw)).toBe('unreadable record');
  });
});

describe('checkRevokeOptions: one way to revoke (issue #15)', () => {
  const except = { id: 'x'.repeat(43), tag: '' };
  it('takes only, except, or neither', () => {
    for (const o of [{ now: 1 }, { now: 1, only: 'h1' }, { now: 1, except }])
      expect(() => checkRevokeOptions(o)).not.toThrow();
  });
  it('refuses only with except, and an empty only (which a store could read as "all")', () => {
    expect(() => checkRevokeOptions({ now: 1, only: 'h1', except })).toThrow(
      expect.objectContaining({ code: 'invalid_state' }),
    );
    expect(() => checkRevokeOptions({ now: 1, only: '' })).toThrow(
      expect.objectContaining({ code: 'invalid_state' }),
    );
  });
});
