/**
 * Postgres for tests: an isolated, uniquely named schema on the server in `DATABASE_URL`
 * (dropped in teardown, so parallel runs never collide), and embedded PGlite instances.
 * The driver classes are passed in, so this kit depends on neither `pg` nor PGlite.
 */
import { serviceMissing } from './common.js';

/** The part of a driver these helpers use (pg `Pool`/`Client` and PGlite both fit). */
export interface SqlClient {
  query(text: string, params?: unknown[]): Promise<unknown>;
}

/** The server URL, or undefined. */
export function postgresUrl(): string | undefined {
  const url = process.env.DATABASE_URL;
  return url && url.length > 0 ? url : undefined;
}

/**
 * True (skip, loudly) when `DATABASE_URL` is unset; throws under CI=true.
 * Use as `describe.skipIf(postgresMissing())`.
 */
export function postgresMissing(): boolean {
  if (postgresUrl()) return false;
  return serviceMissing(
    'PostgreSQL (DATABASE_URL)',
    'set DATABASE_URL=postgres://postgres@127.0.0.1:5432/test',
  );
}

/** A schema name no other run uses: lowercase, so it needs no quoting in ad-hoc SQL. */
export function uniqueSchemaName(prefix = 'tessera_test'): string {
  const rand = Math.random().toString(36).slice(2, 10);
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${rand}`;
}

export interface TestSchema {
  readonly schema: string;
  /** Drop the schema and everything in it. */
  drop(): Promise<void>;
}

/** Create a fresh schema through `client`; call `drop()` in afterAll. */
export async function createTestSchema(client: SqlClient, prefix?: string): Promise<TestSchema> {
  const schema = uniqueSchemaName(prefix);
  await client.query(`CREATE SCHEMA "${schema}"`);
  return {
    schema,
    drop: async () => {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
  };
}

/** What `createPglite` needs from `@electric-sql/pglite`'s `PGlite` class. */
export interface PgliteClass<T> {
  create(): Promise<T>;
}

/** A fresh in-memory PGlite database; close it in afterAll (`await db.close()`). */
export function createPglite<T>(PGlite: PgliteClass<T>): Promise<T> {
  return PGlite.create();
}
