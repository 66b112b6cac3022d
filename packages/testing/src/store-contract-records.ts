// Store contract cases for single records: create, load, update, destroy, exact values, corrupt bytes.
import { expiresAtOf } from '@tessera/session-core';
import { describe, expect, it } from 'vitest';
import { keyFor, storedSession } from './fixtures.js';
import { MIN, parsed, type StoreCaseContext } from './store-contract-context.js';

export function describeRecordCases(suite: StoreCaseContext): void {
  const { store, user, load } = suite;

  describe('records', () => {
    it('create then load returns every field as written', async () => {
      const now = Date.now();
      const key = keyFor(store());
      const s = storedSession({ now, data: { cart: [1, 2], name: 'ä ☃ "q"', nested: { a: null } } });
      expect(await store().create(key, s, { now })).toBe(true);
      const r = await load(key, now);
      expect(r.status).toBe('found');
      if (r.status !== 'found') return;
      expect(r.touched).toBe(false);
      expect({ ...r.session, data: parsed(r.session.data) }).toEqual({ ...s, data: parsed(s.data) });
    });

    it('create refuses an existing key and leaves it untouched', async () => {
      const now = Date.now();
      const key = keyFor(store());
      await store().create(key, storedSession({ now, data: { a: 1 } }), { now });
      expect(await store().create(key, storedSession({ now, data: { a: 2 } }), { now })).toBe(false);
      const r = await load(key, now);
      expect(r.status === 'found' && r.session.data.a).toBe('1');
    });

    it('create of a session already past its expiry answers true, stores nothing that loads, and leaves the key free', async () => {
      // One rule for every store (issue #15: Redis answered true, Memcached false, which the
      // core reads as a token collision, memory kept it): created, and already expired.
      const now = Date.now();
      const key = keyFor(store());
      const expired = storedSession({ now: now - 10 * MIN, idleTimeoutMs: 5 * MIN });
      expect(await store().create(key, expired, { now })).toBe(true);
      // Either nothing loads, or the record as written, which the core sees expired.
      const r = await load(key, now);
      if (r.status === 'found') expect(expiresAtOf(r.session)).toBeLessThanOrEqual(now);
      expect(await store().create(key, storedSession({ now }), { now })).toBe(true);
      expect((await load(key, now)).status).toBe('found');
    });

    it('an unknown key is missing', async () => {
      expect((await load(keyFor(store()))).status).toBe('missing');
    });

    it('keeps prototype-looking data keys as plain keys', async () => {
      const now = Date.now();
      const key = keyFor(store());
      const s = storedSession({ now });
      const data: Record<string, string> = Object.create(null);
      Object.defineProperty(data, '__proto__', {
        value: '{"polluted":true}',
        enumerable: true,
        writable: true,
      });
      data['constructor'] = '"c"';
      await store().create(key, { ...s, data }, { now });
      const r = await load(key, now);
      expect(r.status).toBe('found');
      if (r.status !== 'found') return;
      expect(JSON.parse(Object.getOwnPropertyDescriptor(r.session.data, '__proto__')?.value)).toEqual({
        polluted: true,
      });
      expect(Object.getOwnPropertyDescriptor(r.session.data, 'constructor')?.value).toBe('"c"');
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    });

    it('keeps every JSON value exactly: NUL, lone surrogates, control characters, extreme numbers', async () => {
      const values: Record<string, unknown> = {
        nul: 'a\u0000b',
        lone: '\ud800x\udc00',
        pair: '\ud83d\ude00',
        controls: '\u0001\u001f\u007f\u2028\u2029',
        numbers: [1e21, -1e-7, 5e-324, 1.7976931348623157e308, 2 ** 53 + 2],
        nested: { s: '\u0000', a: ['\udfff', null, true, { '': '' }] },
      };
      const text = (v: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(v).map(([k, x]) => [k, JSON.stringify(x)]));
      const now = Date.now();
      const key = keyFor(store());
      await store().create(key, { ...storedSession({ now }), data: text(values) }, { now });
      const created = await load(key, now);
      expect(created.status === 'found' && parsed(created.session.data)).toEqual(values);
      await store().update(
        key,
        { set: text({ later: values.nul, nested: values.lone }), unset: [] },
        { now },
      );
      const updated = await load(key, now);
      expect(updated.status === 'found' && parsed(updated.session.data)).toEqual({
        ...values,
        later: values.nul,
        nested: values.lone,
      });
      const u = user();
      const to = {
        key: keyFor(store(), u),
        session: { ...storedSession({ userId: u, now }), data: text(values) },
      };
      await store().rotate({
        now,
        from: { key, userId: null },
        to,
        limit: { max: 5, onLimit: 'evict-oldest' },
      });
      const rotated = await load(to.key, now);
      expect(rotated.status === 'found' && parsed(rotated.session.data)).toEqual(values);
    });

    it('update sets and removes only the named keys', async () => {
      const now = Date.now();
      const key = keyFor(store());
      await store().create(key, storedSession({ now, data: { a: 1, b: 2, c: 3 } }), { now });
      expect(await store().update(key, { set: { a: '10', d: '"new"' }, unset: ['b'] }, { now })).toBe('ok');
      const r = await load(key, now);
      expect(r.status === 'found' && parsed(r.session.data)).toEqual({ a: 10, c: 3, d: 'new' });
    });

    it('update never creates a missing session', async () => {
      const now = Date.now();
      const key = keyFor(store());
      expect(await store().update(key, { set: { a: '1' }, unset: [] }, { now })).toBe('missing');
      expect((await load(key, now)).status).toBe('missing');
    });

    it('destroy removes the session and answers whether it existed', async () => {
      const now = Date.now();
      const key = keyFor(store());
      await store().create(key, storedSession({ now }), { now });
      expect(await store().destroy(key, { now, userId: null })).toBe(true);
      expect((await load(key, now)).status).toBe('missing');
      expect(await store().destroy(key, { now, userId: null })).toBe(false);
    });

    it.runIf(Boolean(suite.corrupt))(
      'a corrupt record reads as corrupt or missing, never as data',
      async () => {
        const key = keyFor(store());
        await suite.corrupt!(store(), key);
        expect(['corrupt', 'missing']).toContain((await load(key)).status);
      },
    );
  });
}
