import { PGlite } from '@electric-sql/pglite';
import { isSessionError } from '@tessera/session-core';
import { keyFor, postgresMissing, storedSession, uniqueSchemaName } from '@tessera/session-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, migrationSql, postgresStore, sweepExpired } from '../src/index.js';
import { serverPool } from './helpers.js';

/** A smoke test of every statement against a given schema/table. */
async function exercise(client: PGlite | ReturnType<typeof serverPool>, schema: string, table: string) {
  const store = postgresStore({ client, schema, table });
  const now = Date.now();
  const key = keyFor(store);
  expect(await store.create(key, storedSession({ now, data: { a: 1 } }), { now })).toBe(true);
  expect(await store.update(key, { set: { b: '2' }, unset: [] }, { now })).toBe('ok');
  const loaded = await store.load(key, { now: now + 1, touchIntervalMs: 0 });
  expect(loaded.status === 'found' && loaded.touched).toBe(true);
  const to = keyFor(store, 'u1');
  const r = await store.rotate({
    now,
    from: { key, userId: null },
    to: { key: to, session: storedSession({ userId: 'u1', now }) },
    limit: { max: 1, onLimit: 'evict-oldest' },
  });
  expect(r.status).toBe('ok');
  expect(await store.listUserSessions('u1', { now })).toHaveLength(1);
  expect(await store.revokeUserSessions('u1', { now })).toBe(1);
  expect(await sweepExpired(client, { schema, table, now: now + 10 * 3_600_000 })).toBe(0);
}

describe('migrate on PGlite', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await PGlite.create();
  });
  afterAll(() => db.close());

  it('applies version 1 once; a second run is a no-op', async () => {
    expect(await migrate(db)).toEqual({ applied: [1], version: 1 });
    const before = await db.query('SELECT version, applied_at FROM public.tessera_sessions_migrations');
    expect(await migrate(db)).toEqual({ applied: [], version: 1 });
    const after = await db.query('SELECT version, applied_at FROM public.tessera_sessions_migrations');
    expect(after.rows).toEqual(before.rows);
    await exercise(db, 'public', 'tessera_sessions');
  });

  it('quotes odd schema and table names (and an injection attempt) correctly', async () => {
    const names = [
      { schema: 'We"ird Sch.ema', table: 'Séssions-"x" y' },
      { schema: 'public', table: `x"; DROP TABLE public.tessera_sessions; --` },
      { schema: "it's", table: "o'clock" },
    ];
    for (const n of names) {
      expect((await migrate(db, n)).applied).toEqual([1]);
      await exercise(db, n.schema, n.table);
    }
    // The injection attempt created its own table and dropped nothing.
    await db.query('SELECT 1 FROM public.tessera_sessions LIMIT 1');
  });

  it('rejects unusable names at construction', () => {
    const client = db;
    const bad = ['', 'a\u0000b', 'tab\tle', 'x$y', 'x'.repeat(53), 'é'.repeat(27)];
    for (const table of bad) {
      for (const make of [
        () => postgresStore({ client, table }),
        () => migrationSql({ table }),
        () => postgresStore({ client, schema: table.length > 0 ? `${table}${'s'.repeat(64)}` : '' }),
      ]) {
        let error: unknown;
        try {
          make();
        } catch (e) {
          error = e;
        }
        expect(isSessionError(error, 'invalid_config'), `${JSON.stringify(table)}`).toBe(true);
      }
    }
    // 52 bytes is the longest table name that leaves room for the derived names.
    expect(() => postgresStore({ client, table: 'x'.repeat(52) })).not.toThrow();
    expect(() => postgresStore({ client, table: 'é'.repeat(26) })).not.toThrow();
  });

  it('rejects bad options at construction', async () => {
    for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => postgresStore({ client: db, timeoutMs })).toThrow(/timeoutMs/);
    }
    expect(() => postgresStore({ client: {} as never })).toThrow(/query/);
    await expect(sweepExpired(db, { batchSize: 0 })).rejects.toThrow(/batchSize/);
  });

  it('migrationSql() runs as-is, and migrate() then finds nothing to do', async () => {
    const fresh = db;
    const sql = migrationSql({ schema: 'app', table: 'sess' });
    expect(sql).toContain('CREATE TABLE IF NOT EXISTS "app"."sess"');
    await fresh.exec(sql);
    await fresh.exec(sql); // idempotent too
    expect(await migrate(fresh, { schema: 'app', table: 'sess' })).toEqual({ applied: [], version: 1 });
    await exercise(fresh, 'app', 'sess');
  });

  it('a store on an unmigrated table fails with store_unavailable and says to migrate', async () => {
    const store = postgresStore({ client: db, table: 'never_migrated' });
    await expect(store.load(keyFor(store), { now: Date.now(), touchIntervalMs: 0 })).rejects.toThrow(
      /migrate\(\)/,
    );
  });
});

describe.skipIf(postgresMissing())('migrate on the real server', () => {
  const pools: ReturnType<typeof serverPool>[] = [];
  const schemas: string[] = [];
  beforeAll(() => {
    for (let i = 0; i < 4; i++) pools.push(serverPool(2));
  });
  afterAll(async () => {
    for (const s of schemas) await pools[0]!.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await Promise.all(pools.map((p) => p.end()));
  });

  it('four processes migrating at once: one applies, the others find it done', async () => {
    const schema = uniqueSchemaName('tessera_mig');
    schemas.push(schema);
    const results = await Promise.all(pools.map((p) => migrate(p, { schema })));
    expect(results.flatMap((r) => r.applied)).toEqual([1]);
    expect(results.every((r) => r.version === 1)).toBe(true);
    await exercise(pools[1]!, schema, 'tessera_sessions');
  });

  it('migrationSql() runs through pg as one query', async () => {
    const schema = uniqueSchemaName('tessera_sql');
    schemas.push(schema);
    await pools[0]!.query(migrationSql({ schema, table: 'Odd "T"' }));
    expect(await migrate(pools[0]!, { schema, table: 'Odd "T"' })).toEqual({ applied: [], version: 1 });
    await exercise(pools[2]!, schema, 'Odd "T"');
  });
});
