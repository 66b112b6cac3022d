/**
 * Schema migrations. `migrate()` is safe to call at every start-up from every process: the
 * whole run is ONE `DO` statement (so it works through a pool, whose `query()` cannot hold a
 * session across calls) that first takes a transaction-level advisory lock, then applies the
 * versions not yet recorded. A second process waits on the lock and then finds nothing to do.
 */
import type { PostgresClient, TableOptions } from './client.js';
import { type Names, quoteLiteral, resolveNames } from './internal/identifiers.js';
import { checkTimeout, runQuery } from './internal/query.js';
import { MIGRATIONS, type Migration, migrationsTableSql } from './internal/schema.js';

export interface MigrateOptions extends TableOptions {
  /** How long to wait for the migration (including the advisory lock), ms. @default 60000 */
  readonly timeoutMs?: number;
}

export interface MigrateResult {
  /** Versions this call applied, ascending; empty when the schema was already current. */
  readonly applied: readonly number[];
  /** The schema version now in place. */
  readonly version: number;
}

/** One lock for every Tessera migration in the database: migrations are rare and short. */
const MIGRATION_LOCK_KEY = '7305415120399459661';

function schemaGuard(n: Names): string {
  // Checked first so a role without CREATE on the database can use an existing schema.
  return `IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ${quoteLiteral(n.schema)}) THEN
    CREATE SCHEMA ${n.quotedSchema};
  END IF;`;
}

function migrateBlock(migrations: readonly Migration[], n: Names, runId: string): string {
  const steps = migrations
    .map(
      (m) => `  IF NOT EXISTS (SELECT 1 FROM ${n.migrations} WHERE version = ${m.version}) THEN
${m
  .statements(n)
  .map((s) => `    ${s};`)
  .join('\n')}
    INSERT INTO ${n.migrations} (version, description, run_id)
      VALUES (${m.version}, ${quoteLiteral(m.description)}, ${quoteLiteral(runId)});
  END IF;`,
    )
    .join('\n');
  return `DO $tessera_migrate$
BEGIN
  PERFORM pg_advisory_xact_lock(${MIGRATION_LOCK_KEY});
  ${schemaGuard(n)}
  ${migrationsTableSql(n)};
${steps}
END
$tessera_migrate$`;
}

/**
 * Create or upgrade the sessions table, its indexes and functions. Idempotent and safe to run
 * concurrently from several processes. Two statements: the migration, then a read of what it did.
 */
export function migrate(client: PostgresClient, options: MigrateOptions = {}): Promise<MigrateResult> {
  return runMigrations(client, MIGRATIONS, options);
}

/**
 * `migrate()` over any list of migrations, ascending by version. Not exported from the package:
 * only one schema version ships, so the tests give the runner a later version of their own to
 * prove that it applies only what is missing.
 */
export async function runMigrations(
  client: PostgresClient,
  migrations: readonly Migration[],
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const names = resolveNames(options);
  const timeoutMs = checkTimeout('timeoutMs', options.timeoutMs ?? 60_000);
  const runId = crypto.randomUUID();
  await runQuery(client, timeoutMs, migrateBlock(migrations, names, runId), []);
  const rows = await runQuery<{ version: number; mine: boolean }>(
    client,
    timeoutMs,
    `SELECT version, run_id = $1 AS mine FROM ${names.migrations} ORDER BY version`,
    [runId],
  );
  return {
    applied: rows.filter((r) => r.mine).map((r) => r.version),
    version: rows.reduce((max, r) => Math.max(max, r.version), 0),
  };
}

/**
 * The same migrations as plain SQL, for teams that run migrations with their own tools.
 * Every statement is idempotent and the versions are recorded, so `migrate()` run later
 * finds nothing to do. Wrap it in a transaction if your tool does not.
 */
export function migrationSql(options: TableOptions = {}): string {
  return migrationScript(MIGRATIONS, options);
}

/** `migrationSql()` over any list of migrations (see `runMigrations`). */
export function migrationScript(migrations: readonly Migration[], options: TableOptions = {}): string {
  const n = resolveNames(options);
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const parts = [
    `-- Tessera session store, schema version ${latest}, for ${n.qualifiedTable}.`,
    `CREATE SCHEMA IF NOT EXISTS ${n.quotedSchema};`,
    `${migrationsTableSql(n)};`,
  ];
  for (const m of migrations) {
    parts.push(`-- version ${m.version}: ${m.description}`);
    for (const s of m.statements(n)) parts.push(`${s};`);
    parts.push(
      `INSERT INTO ${n.migrations} (version, description) VALUES (${m.version}, ${quoteLiteral(m.description)}) ON CONFLICT (version) DO NOTHING;`,
    );
  }
  return `${parts.join('\n\n')}\n`;
}
