import { describeStoreContract } from '@tessera/session-testing';
import { postgresMissing } from '@tessera/test-support';
import { describe } from 'vitest';
import { postgresStore } from '../src/index.js';
import { type Db, pgliteDb, serverDb } from './helpers.js';

function contract(name: string, open: () => Promise<Db>): void {
  let db: Db;
  describeStoreContract({
    name,
    makeStore: async () => {
      db = await open();
      return postgresStore({ client: db.client, schema: db.schema });
    },
    teardown: () => db.close(),
    corrupt: async (_store, key) => {
      // A row written by a future version of the package.
      await db.client.query(
        `INSERT INTO "${db.schema}".tessera_sessions (id, handle, version, created_at, last_seen_at, idle_timeout_ms, absolute_expires_at, expires_at)
         VALUES ($1, 'h', 2, now(), now(), 0, now() + interval '1 hour', now() + interval '1 hour')`,
        [key.id],
      );
    },
  });
}

contract('postgres (PGlite)', pgliteDb);

describe.skipIf(postgresMissing())('real server', () => {
  contract('postgres (server)', () => serverDb(20));
});
