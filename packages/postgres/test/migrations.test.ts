import { PGlite } from '@electric-sql/pglite';
import { isSessionError } from '@tessera/session-core';
import { keyFor, storedSession } from '@tessera/session-testing';
import { createPglite, postgresMissing, uniqueSchemaName } from '@tessera/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, migrationSql, type PostgresClient, postgresStore, sweepExpired } from '../src/index.js';
import { MIGRATIONS, type Migration } from '../src/internal/schema.js';
import { migrationScript, runMigrations } from '../src/migrations.js';
import { serverPool } from './helpers.js';

/** A smoke test of every statement against a given schema/table. */
async function exercise(client: PostgresClient, schema: string, table: string) {
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

describe('the shipped schema (issue #15: a v2 migration re-encoded v1 data no release ever wrote)', () => {
  it('is one version that creates the final schema directly and rewrites no data', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual([1]);
    const sql = migrationSql();
    expect(sql).toContain('-- Tessera session store, schema version 1,');
    expect(sql).not.toMatch(/\bUPDATE\s+\S+\s+SET\b/);
    // The functions refuse isolation levels other than READ COMMITTED from the start.
    expect(sql.match(/ISOLATION|transaction_isolation/g)?.length).toBeGreaterThanOrEqual(2);
  });
});

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

/**
 * A later schema version defined here, since only one ships: the runner must apply it alone on
 * a database at version 1, once. The backfill is deliberately not idempotent, so a second run
 * would show (note = 2).
 */
const LATER: Migration = {
  version: 2,
  description: 'test only: a note column, backfilled once',
  statements: (n) => [
    `ALTER TABLE ${n.qualifiedTable} ADD COLUMN IF NOT EXISTS note integer NOT NULL DEFAULT 0`,
    `UPDATE ${n.qualifiedTable} SET note = note + 1`,
  ],
};
/** The same, idempotent as `migrationSql()` requires of every statement. */
const LATER_IDEMPOTENT: Migration = { ...LATER, statements: (n) => LATER.statements(n).slice(0, 1) };

type SqlClient = Parameters<typeof migrate>[0] & {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
};

async function notes(client: SqlClient, schema: string): Promise<unknown[]> {
  const { rows } = await client.query(`SELECT note FROM "${schema}".tessera_sessions ORDER BY id`);
  return rows.map((r) => (r as { note: number }).note);
}

/** A database at version 1 with two sessions in it gets version 2 only, once; the rows survive. */
async function upgradeToLater(client: SqlClient, schema: string): Promise<void> {
  expect(await migrate(client, { schema })).toEqual({ applied: [1], version: 1 });
  const store = postgresStore({ client, schema });
  const now = Date.now();
  const keys = [keyFor(store), keyFor(store)];
  // Outliving exercise()'s sweep ten hours on.
  const long = { now, data: { a: 1 }, idleTimeoutMs: 0, absoluteTimeoutMs: 86_400_000 };
  for (const key of keys) expect(await store.create(key, storedSession(long), { now })).toBe(true);

  const later = [...MIGRATIONS, LATER];
  expect(await runMigrations(client, later, { schema })).toEqual({ applied: [2], version: 2 });
  expect(await notes(client, schema)).toEqual([1, 1]);
  expect(await runMigrations(client, later, { schema })).toEqual({ applied: [], version: 2 });
  expect(await notes(client, schema)).toEqual([1, 1]);
  // The shipped list alone finds nothing to do either, and reports the newest recorded version.
  expect(await migrate(client, { schema })).toEqual({ applied: [], version: 2 });

  for (const key of keys) {
    const r = await store.load(key, { now, touchIntervalMs: 3_600_000 });
    expect(r.status === 'found' && { ...r.session.data }).toEqual({ a: '1' });
  }
  await exercise(client, schema, 'tessera_sessions');
}

describe('the runner with a later version (PGlite)', () => {
  it('migrate() on a version 1 database applies only the missing version, once', async () => {
    const db = await createPglite<PGlite>(PGlite);
    try {
      await upgradeToLater(db, 'public');
    } finally {
      await db.close();
    }
  }, 60_000);

  it('the printed SQL of both versions runs twice on a version 1 database; migrate() then finds nothing', async () => {
    const db = await createPglite<PGlite>(PGlite);
    try {
      await migrate(db, { schema: 'app' });
      const later = [...MIGRATIONS, LATER_IDEMPOTENT];
      const sql = migrationScript(later, { schema: 'app' });
      expect(sql).toContain('-- Tessera session store, schema version 2,');
      expect(sql).toContain('-- version 2: test only: a note column, backfilled once');
      await db.exec(sql);
      await db.exec(sql);
      expect(await runMigrations(db, [...MIGRATIONS, LATER], { schema: 'app' })).toEqual({
        applied: [],
        version: 2,
      });
      const { rows } = await db.query('SELECT version FROM app.tessera_sessions_migrations ORDER BY version');
      expect(rows).toEqual([{ version: 1 }, { version: 2 }]);
      await exercise(db, 'app', 'tessera_sessions');
    } finally {
      await db.close();
    }
  }, 60_000);
});

describe.skipIf(postgresMissing())('the runner with a later version (real server)', () => {
  const pools: ReturnType<typeof serverPool>[] = [];
  const schemas: string[] = [];
  beforeAll(() => {
    for (let i = 0; i < 4; i++) pools.push(serverPool(2));
  });
  afterAll(async () => {
    for (const s of schemas) await pools[0]!.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await Promise.all(pools.map((p) => p.end()));
  });

  it('migrate() on a version 1 database applies only the missing version, once', async () => {
    const schema = uniqueSchemaName('tessera_later');
    schemas.push(schema);
    await upgradeToLater(pools[0]!, schema);
  });

  it('four processes upgrading at once: one applies version 2, the others find it done', async () => {
    const schema = uniqueSchemaName('tessera_later');
    schemas.push(schema);
    await migrate(pools[0]!, { schema });
    const store = postgresStore({ client: pools[0]!, schema });
    const now = Date.now();
    expect(await store.create(keyFor(store), storedSession({ now }), { now })).toBe(true);
    const results = await Promise.all(pools.map((p) => runMigrations(p, [...MIGRATIONS, LATER], { schema })));
    expect(results.flatMap((r) => r.applied)).toEqual([2]);
    expect(results.every((r) => r.version === 2)).toBe(true);
    expect(await notes(pools[1]!, schema)).toEqual([1]);
  });
});
