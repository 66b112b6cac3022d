/** Shared set-up for this package's suites: a migrated store on PGlite or on the real server. */
import { PGlite } from '@electric-sql/pglite';
import { createPglite, createTestSchema, postgresUrl } from '@tessera/test-support';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { PostgresClient, PostgresStore } from '../src/index.js';
import { migrate, postgresStore } from '../src/index.js';

export interface Db {
  readonly client: PostgresClient & { query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }> };
  readonly schema: string;
  close(): Promise<void>;
}

export async function pgliteDb(): Promise<Db> {
  const db = await createPglite<PGlite>(PGlite);
  await migrate(db);
  return { client: db, schema: 'public', close: () => db.close() };
}

export function serverPool(max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: postgresUrl(), max });
  // An idle client losing its connection must not crash the test process.
  pool.on('error', () => {});
  return pool;
}

export async function serverDb(max = 10): Promise<Db> {
  const pool = serverPool(max);
  const fresh = await createTestSchema(pool);
  await migrate(pool, { schema: fresh.schema });
  return {
    client: pool,
    schema: fresh.schema,
    close: async () => {
      await fresh.drop();
      await pool.end();
    },
  };
}

/** Wraps a client to count the statements sent through it. */
export function counting(client: PostgresClient): { client: PostgresClient; statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    client: {
      query: (text, params) => {
        statements.push(text);
        return client.query(text, params);
      },
    },
  };
}

/** A request as an adapter describes it to the core (cookie pair `__Host-sid=...` optional). */
export function request(cookie?: string, method = 'GET') {
  return {
    method,
    header: (name: string) => (name === 'cookie' ? cookie : undefined),
    ip: '203.0.113.9',
    selfOrigin: 'https://app.test',
  };
}

/** The `__Host-sid=<token>` pair a commit set, if any. */
export function sessionCookie(headers: ReadonlyArray<readonly [string, string]>): string | undefined {
  return headers.find(([k, v]) => k === 'set-cookie' && v.startsWith('__Host-sid='))?.[1].split(';')[0];
}

/**
 * For a describe block: open the database before its tests, a store on it, close after.
 * Read `db` and `store` inside the tests (they are set once `beforeAll` ran).
 */
export function openStore(open: () => Promise<Db>): { readonly db: Db; readonly store: PostgresStore } {
  const opened = {} as { db: Db; store: PostgresStore };
  beforeAll(async () => {
    opened.db = await open();
    opened.store = postgresStore({ client: opened.db.client, schema: opened.db.schema });
  });
  afterAll(() => opened.db?.close());
  return opened;
}
