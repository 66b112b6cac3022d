import { PGlite } from '@electric-sql/pglite';
import { isSessionError } from '@tessera/session-core';
import { keyFor, storedSession } from '@tessera/session-testing';
import { createPglite, postgresMissing, uniqueSchemaName } from '@tessera/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, migrationSql, postgresStore, sweepExpired } from '../src/index.js';
import { resolveNames } from '../src/internal/identifiers.js';
import { MIGRATIONS, migrationsTableSql } from '../src/internal/schema.js';
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

  it('applies versions 1 and 2 once; a second run is a no-op', async () => {
    expect(await migrate(db)).toEqual({ applied: [1, 2], version: 2 });
    const before = await db.query('SELECT version, applied_at FROM public.tessera_sessions_migrations');
    expect(await migrate(db)).toEqual({ applied: [], version: 2 });
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
      expect((await migrate(db, n)).applied).toEqual([1, 2]);
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
    expect(await migrate(fresh, { schema: 'app', table: 'sess' })).toEqual({ applied: [], version: 2 });
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
    expect(results.flatMap((r) => r.applied)).toEqual([1, 2]);
    expect(results.every((r) => r.version === 2)).toBe(true);
    await exercise(pools[1]!, schema, 'tessera_sessions');
  });

  it('migrationSql() runs through pg as one query', async () => {
    const schema = uniqueSchemaName('tessera_sql');
    schemas.push(schema);
    await pools[0]!.query(migrationSql({ schema, table: 'Odd "T"' }));
    expect(await migrate(pools[0]!, { schema, table: 'Odd "T"' })).toEqual({ applied: [], version: 2 });
    await exercise(pools[2]!, schema, 'Odd "T"');
  });
});

type SqlClient = { query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }> };

/** What the previous release's `migrate()` left: version 1 only (its functions, its table). */
async function migrateToVersion1(client: SqlClient, schema: string): Promise<void> {
  const n = resolveNames({ schema });
  const v1 = MIGRATIONS.find((m) => m.version === 1)!;
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${n.quotedSchema}`);
  await client.query(migrationsTableSql(n));
  for (const statement of v1.statements(n)) await client.query(statement);
  await client.query(`INSERT INTO ${n.migrations} (version, description) VALUES (1, $1)`, [v1.description]);
}

/** Session values as version 1 wrote them: each JSON text parsed into the jsonb object. */
const OLD_TEXTS: Record<string, string> = {
  cart: '[1,2,{"b":1,"a":2}]',
  big: '1e21',
  tiny: '5e-324',
  negativeZero: '-0',
  name: '"Zo\\u00eb \u00e9 😀 \\"q\\" \\\\ \\u2028"',
  flag: 'true',
  nothing: 'null',
  nested: '{"z":{"y":[{}, [], ""]},"a":"x"}',
  'ключ 😀': '"v"',
};

interface Seeded {
  readonly ids: {
    readonly full: string;
    readonly empty: string;
    readonly notObject: string;
    readonly expired: string;
  };
  /** What version 1 answered for each row's data (its read expression), before the upgrade. */
  readonly before: Record<string, unknown>;
}

/** Rows in version 1's format, inserted with version 1's own write and read expressions. */
async function seedVersion1Rows(client: SqlClient, schema: string, now: number): Promise<Seeded> {
  const t = `"${schema}".tessera_sessions`;
  const id = (s: string) => `v1-${s}-${now}`;
  const ids = { full: id('full'), empty: id('empty'), notObject: id('array'), expired: id('expired') };
  const insert = (rowId: string, user: string | null, expiresAt: number, data: string) =>
    client.query(
      `INSERT INTO ${t} (id, handle, user_id, version, created_at, last_seen_at, idle_timeout_ms, absolute_expires_at, expires_at, data)
       VALUES ($1, 'h-' || $1, $2, 1, to_timestamp($3::float8 / 1000), to_timestamp($3::float8 / 1000), 0,
         to_timestamp($4::float8 / 1000), to_timestamp($4::float8 / 1000), ${data})`,
      [rowId, user, now - 1000, expiresAt],
    );
  const keys = Object.keys(OLD_TEXTS);
  const v1Write = `(SELECT coalesce(jsonb_object_agg(u.k, u.v::jsonb), '{}'::jsonb) FROM unnest($5::text[], $6::text[]) AS u(k, v))`;
  await client.query(
    `INSERT INTO ${t} (id, handle, user_id, version, created_at, last_seen_at, idle_timeout_ms, absolute_expires_at, expires_at, data)
     VALUES ($1, 'h-' || $1, $2, 1, to_timestamp($3::float8 / 1000), to_timestamp($3::float8 / 1000), 0,
       to_timestamp($4::float8 / 1000), to_timestamp($4::float8 / 1000), ${v1Write}),
     ($7, 'h-' || $7, NULL, 1, to_timestamp($3::float8 / 1000), to_timestamp($3::float8 / 1000), 0,
       to_timestamp($3::float8 / 1000), to_timestamp($3::float8 / 1000), ${v1Write})`,
    [ids.full, 'mig-user', now - 1000, now + 3_600_000, keys, keys.map((k) => OLD_TEXTS[k]), ids.expired],
  );
  await insert(ids.empty, null, now + 3_600_000, `'{}'::jsonb`);
  await insert(ids.notObject, null, now + 3_600_000, `'[1]'::jsonb`);
  // Version 1's read expression for data, verbatim.
  const { rows } = await client.query(
    `SELECT id, CASE WHEN jsonb_typeof(a.data) = 'object' THEN (SELECT coalesce(jsonb_object_agg(e.key, e.value::text), '{}'::jsonb) FROM jsonb_each(a.data) AS e) END AS data
     FROM ${t} AS a WHERE id LIKE 'v1-%'`,
  );
  const before = Object.fromEntries((rows as { id: string; data: unknown }[]).map((r) => [r.id, r.data]));
  return { ids, before };
}

async function rawData(client: SqlClient, schema: string): Promise<unknown[]> {
  return (await client.query(`SELECT id, data FROM "${schema}".tessera_sessions ORDER BY id`)).rows;
}

/** Upgrade a version 1 table with rows in the old format; every row reads back as before. */
async function upgradeFromVersion1(
  client: SqlClient & Parameters<typeof migrate>[0],
  schema: string,
  runSql: (sql: string) => Promise<unknown>,
): Promise<void> {
  await migrateToVersion1(client, schema);
  const now = Date.now();
  const { ids, before } = await seedVersion1Rows(client, schema, now);
  // The old format, as stored: parsed values.
  expect((before[ids.full] as Record<string, string>).cart).toBe('[1, 2, {"a": 2, "b": 1}]');
  expect((before[ids.full] as Record<string, string>).big).toBe('1000000000000000000000');
  expect(before[ids.notObject]).toBeNull();

  expect(await migrate(client, { schema })).toEqual({ applied: [2], version: 2 });
  const store = postgresStore({ client, schema });
  const loadData = async (id: string, at = now) => {
    const r = await store.load({ id, tag: '' }, { now: at, touchIntervalMs: 3_600_000 });
    return r.status === 'found' ? { ...r.session.data } : r.status;
  };
  // Read back identical to what version 1 answered, and stored in the new encoding.
  expect(await loadData(ids.full)).toEqual(before[ids.full]);
  expect(await loadData(ids.empty)).toEqual({});
  expect(await loadData(ids.expired)).toEqual(before[ids.expired]);
  expect(await loadData(ids.notObject)).toBe('corrupt');
  const { rows } = await client.query(
    `SELECT data->'cart' AS cart, (data->>'cart')::jsonb AS parsed FROM "${schema}".tessera_sessions WHERE id = $1`,
    [ids.full],
  );
  expect(rows).toEqual([{ cart: '[1, 2, {"a": 2, "b": 1}]', parsed: [1, 2, { a: 2, b: 1 }] }]);

  // Converted once only: neither migrate() nor migrationSql() touches the data again.
  const converted = await rawData(client, schema);
  expect(await migrate(client, { schema })).toEqual({ applied: [], version: 2 });
  await runSql(migrationSql({ schema }));
  await runSql(migrationSql({ schema }));
  expect(await rawData(client, schema)).toEqual(converted);

  // And the upgraded rows work with every operation.
  const full = { id: ids.full, tag: '' };
  expect(
    await store.update(full, { set: { note: JSON.stringify('a\u0000b\ud800') }, unset: ['tiny'] }, { now }),
  ).toBe('ok');
  const { tiny: _, ...kept } = before[ids.full] as Record<string, string>;
  expect(await loadData(ids.full)).toEqual({ ...kept, note: '"a\\u0000b\\ud800"' });
  const to = keyFor(store, 'mig-user');
  const rotated = await store.rotate({
    now,
    from: { key: full, userId: 'mig-user' },
    to: { key: to, session: storedSession({ userId: 'mig-user', now, data: { n: '\u0000' } }) },
    limit: { max: 1, onLimit: 'evict-oldest' },
  });
  expect(rotated).toEqual({ status: 'ok', evicted: [] });
  expect(await loadData(to.id)).toEqual({ n: '"\\u0000"' });
  expect(await store.revokeUserSessions('mig-user', { now })).toBe(1);
}

describe('upgrade from version 1 (PGlite)', () => {
  it('migrate() re-encodes old rows once; they read back exactly as version 1 returned them', async () => {
    const db = await createPglite<PGlite>(PGlite);
    try {
      await upgradeFromVersion1(db, 'public', (sql) => db.exec(sql));
      // The upgraded functions refuse REPEATABLE READ like fresh ones.
      await db.exec(`SET default_transaction_isolation TO 'repeatable read'`);
      const store = postgresStore({ client: db });
      const error = await store.revokeUserSessions('mig-user', { now: Date.now() }).catch((e: unknown) => e);
      expect(isSessionError(error, 'invalid_config')).toBe(true);
    } finally {
      await db.close();
    }
  }, 60_000);

  it('migrationSql() run twice on a version 1 table converts the rows once', async () => {
    const db = await createPglite<PGlite>(PGlite);
    try {
      await migrateToVersion1(db, 'app');
      const now = Date.now();
      const { ids, before } = await seedVersion1Rows(db, 'app', now);
      await db.exec(migrationSql({ schema: 'app' }));
      await db.exec(migrationSql({ schema: 'app' }));
      expect(await migrate(db, { schema: 'app' })).toEqual({ applied: [], version: 2 });
      const store = postgresStore({ client: db, schema: 'app' });
      const r = await store.load({ id: ids.full, tag: '' }, { now, touchIntervalMs: 3_600_000 });
      expect(r.status === 'found' && { ...r.session.data }).toEqual(before[ids.full]);
    } finally {
      await db.close();
    }
  }, 60_000);
});

describe.skipIf(postgresMissing())('upgrade from version 1 (real server)', () => {
  let pool: ReturnType<typeof serverPool>;
  let schema: string;
  beforeAll(async () => {
    pool = serverPool(4);
    schema = uniqueSchemaName('tessera_v1');
  });
  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it('migrate() re-encodes old rows once; they read back exactly as version 1 returned them', async () => {
    await upgradeFromVersion1(pool, schema, (sql) => pool.query(sql));
  });
});
