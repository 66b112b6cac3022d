/**
 * Session values are kept as their JSON text (a jsonb string per key), so what jsonb cannot
 * hold as a value (`\u0000`, lone surrogates) still round-trips, and every text comes back
 * exactly as written: through create, update, rotate and the manager.
 */
import { createSessionManager } from '@tessera/session-core';
import { keyFor, storedSession } from '@tessera/session-testing';
import { postgresMissing } from '@tessera/test-support';
import { describe, expect, it } from 'vitest';
import { type Db, openStore, pgliteDb, request, serverDb, sessionCookie } from './helpers.js';

/** Values as handlers write them; the core stores `JSON.stringify(value)`. */
const VALUES: Record<string, unknown> = {
  nul: '\u0000',
  nulInside: 'a\u0000b',
  loneHigh: '\ud800',
  loneLowThenX: '\udc00x',
  pairCutInHalf: '😀'.slice(0, 1),
  nested: { a: ['\u0000', { b: '\ud800', '\u0000': 'key with NUL' }], c: 'x\udc00', d: null },
  numbers: [1e21, -0, 5e-324, 1.7976931348623157e308, 0.1 + 0.2, -1e-7, 2 ** 64, 123456789012345680000],
  unicode: 'Zoë – ключ – 漢字 – 😀 – \u2028\u2029 – \ufeff',
  escapes: '"\\/\b\f\n\r\t\u001f',
  empty: '',
  flags: [true, false, null, {}, []],
  'ключ 😀': 'unicode key',
};

/** Texts JSON.stringify never produces: kept byte for byte all the same. */
const RAW: Record<string, string> = {
  exponent: '1e21',
  negativeZero: '-0',
  tiny: '5E-324',
  trailingZero: '1.50',
  keyOrder: '{"b":1,"a":2,"b":3}',
  spaced: '{ "a" : [ 1 , 2 ] }',
  escapedNul: '"\\u0000 and \\u00e9 and \\ud800"',
};

function encoded(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, JSON.stringify(v)]));
}

const EXPECTED: Record<string, string> = { ...encoded(VALUES), ...RAW };

function dataRoundTrip(name: string, open: () => Promise<Db>): void {
  describe(`session data round-trips: ${name}`, () => {
    const t = openStore(open);

    const dataOf = async (key: ReturnType<typeof keyFor>, now: number) => {
      const r = await t.store.load(key, { now, touchIntervalMs: 60_000 });
      if (r.status !== 'found') throw new Error(`expected found, got ${r.status}`);
      return { ...r.session.data };
    };

    it('create: every value comes back as the exact text written', async () => {
      const now = Date.now();
      const key = keyFor(t.store);
      expect(await t.store.create(key, { ...storedSession({ now }), data: EXPECTED }, { now })).toBe(true);
      expect(await dataOf(key, now)).toEqual(EXPECTED);
    });

    it('update: sets and unsets them, leaving the other keys alone', async () => {
      const now = Date.now();
      const key = keyFor(t.store);
      await t.store.create(key, storedSession({ now, data: { keep: 'me', drop: 1 } }), { now });
      expect(await t.store.update(key, { set: EXPECTED, unset: ['drop'] }, { now })).toBe('ok');
      expect(await dataOf(key, now)).toEqual({ keep: '"me"', ...EXPECTED });
      // Overwrite one value with another that jsonb could not hold, remove another.
      expect(
        await t.store.update(
          key,
          { set: { nul: JSON.stringify('\ud800\u0000') }, unset: ['loneHigh'] },
          { now },
        ),
      ).toBe('ok');
      const { loneHigh: _, ...rest } = EXPECTED;
      expect(await dataOf(key, now)).toEqual({ keep: '"me"', ...rest, nul: '"\\ud800\\u0000"' });
    });

    it('rotate: a login carrying them keeps them exactly', async () => {
      const now = Date.now();
      const anon = keyFor(t.store);
      await t.store.create(anon, { ...storedSession({ now }), data: EXPECTED }, { now });
      const user = `u-${anon.id.slice(0, 8)}`;
      const to = keyFor(t.store, user);
      const r = await t.store.rotate({
        now,
        from: { key: anon, userId: null },
        to: { key: to, session: { ...storedSession({ userId: user, now }), data: EXPECTED } },
        limit: { max: 5, onLimit: 'evict-oldest' },
      });
      expect(r.status).toBe('ok');
      expect(await dataOf(to, now)).toEqual(EXPECTED);
      expect((await t.store.load(anon, { now, touchIntervalMs: 0 })).status).toBe('missing');
    });

    it('stored as one jsonb string per key: (data->>key)::jsonb queries the value', async () => {
      const now = Date.now();
      const key = keyFor(t.store);
      await t.store.create(key, storedSession({ now, data: { cart: ['book', 2] } }), { now });
      const { rows } = await t.db.client.query(
        `SELECT data, jsonb_typeof(data->'cart') AS t, (data->>'cart')::jsonb->>0 AS first
         FROM "${t.db.schema}".tessera_sessions WHERE id = $1`,
        [key.id],
      );
      expect(rows).toEqual([{ data: { cart: '["book",2]' }, t: 'string', first: 'book' }]);
    });

    it('through the manager: a handler storing "a\\u0000b" and a lone surrogate commits, and the next request reads them', async () => {
      const manager = createSessionManager({
        store: t.store,
        keepDataOnLogin: ['cart', 'q', ...Object.keys(VALUES)],
      });
      const first = await manager.begin(request());
      first.session.set('cart', ['book']);
      for (const [k, v] of Object.entries(VALUES)) first.session.set(k, v);
      const cookie = sessionCookie(await first.commit());
      expect(cookie).toBeDefined();

      const second = await manager.begin(request(cookie, 'POST'));
      expect(second.session.get('cart')).toEqual(['book']);
      // What JSON can hold of each value (-0 reads back as 0 in every t.store).
      for (const [k, v] of Object.entries(VALUES)) {
        expect(second.session.get(k), k).toEqual(JSON.parse(JSON.stringify(v)));
      }
      second.session.set('q', '\udc00a\u0000b');
      await second.session.login('alice-data'); // the listed keys move with the login
      const loggedIn = sessionCookie(await second.commit());

      const third = await manager.begin(request(loggedIn));
      expect(third.session.userId).toBe('alice-data');
      expect(third.session.get('q')).toBe('\udc00a\u0000b');
      expect(third.session.get('nested')).toEqual(VALUES.nested);
      await third.commit();
    });
  });
}

dataRoundTrip('PGlite', pgliteDb);
describe.skipIf(postgresMissing())('real server', () => dataRoundTrip('server', () => serverDb(4)));
