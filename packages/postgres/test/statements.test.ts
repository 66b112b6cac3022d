/** Round trips counted, not assumed: every operation is one statement through the client. */
import { keyFor, storedSession } from '@tessera/session-testing';
import { postgresMissing } from '@tessera/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStore } from '../src/index.js';
import { counting, type Db, pgliteDb, serverDb } from './helpers.js';

const MIN = 60_000;

function statementCounts(name: string, open: () => Promise<Db>): void {
  describe(`statement counts: ${name}`, () => {
    let db: Db;
    let statements: string[];
    let store: ReturnType<typeof postgresStore>;
    beforeAll(async () => {
      db = await open();
      const wrapped = counting(db.client);
      statements = wrapped.statements;
      store = postgresStore({ client: wrapped.client, schema: db.schema });
    });
    afterAll(() => db?.close());

    const count = async (op: () => Promise<unknown>) => {
      statements.length = 0;
      await op();
      return statements.length;
    };

    it('load is 1 statement whether or not it touches; inside the interval nothing is written', async () => {
      const now = Date.now();
      const key = keyFor(store);
      await store.create(key, storedSession({ now }), { now });
      const hash = async () =>
        (
          await db.client.query(`SELECT xmin::text AS x FROM "${db.schema}".tessera_sessions WHERE id = $1`, [
            key.id,
          ])
        ).rows;
      const before = await hash();
      expect(await count(() => store.load(key, { now: now + 1000, touchIntervalMs: MIN }))).toBe(1);
      // Same row version: the read did not write.
      expect(await hash()).toEqual(before);
      let touched = false;
      expect(
        await count(async () => {
          const r = await store.load(key, { now: now + 2 * MIN, touchIntervalMs: MIN });
          touched = r.status === 'found' && r.touched;
        }),
      ).toBe(1);
      expect(touched).toBe(true);
      expect(await hash()).not.toEqual(before);
      expect(await count(() => store.load(keyFor(store), { now, touchIntervalMs: 0 }))).toBe(1);
    });

    it('create, update, rotate (with cap), destroy, list, revoke: 1 statement each', async () => {
      const now = Date.now();
      const anon = keyFor(store);
      expect(
        await count(() => store.create(anon, storedSession({ now, data: { cart: [1] } }), { now })),
      ).toBe(1);
      expect(await count(() => store.update(anon, { set: { a: '1' }, unset: ['cart'] }, { now }))).toBe(1);
      const user = `u-${anon.id.slice(0, 8)}`;
      const key = keyFor(store, user);
      let status = '';
      expect(
        await count(async () => {
          const r = await store.rotate({
            now,
            from: { key: anon, userId: null },
            to: { key, session: storedSession({ userId: user, now }) },
            limit: { max: 5, onLimit: 'evict-oldest' },
          });
          status = r.status;
        }),
      ).toBe(1);
      expect(status).toBe('ok');
      expect(await count(() => store.listUserSessions(user, { now }))).toBe(1);
      expect(await count(() => store.revokeUserSessions(user, { now, only: 'nope' }))).toBe(1);
      expect(await count(() => store.revokeUserSessions(`${user}-other`, { now }))).toBe(1);
      expect(await count(() => store.destroy(key, { now, userId: user }))).toBe(1);
    });
  });
}

statementCounts('PGlite', pgliteDb);
describe.skipIf(postgresMissing())('real server', () => statementCounts('server', () => serverDb(4)));
