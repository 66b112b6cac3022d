/**
 * Moving from express-session + connect-pg-simple (issue #19): a `MigrationSource` over
 * connect-pg-simple's table (`sid`, `sess` json, `expire` timestamp). `take` is one
 * `DELETE ... RETURNING`: atomic, so of two requests with the same old cookie, in any
 * processes, one gets the row and the other finds nothing.
 */
import { type MigrationSource, SessionError } from '@tessera/session-core';
import type { PostgresClient } from './client.js';
import { check, quoteIdentifier } from './internal/identifiers.js';
import { checkTimeout, runQuery } from './internal/query.js';

export interface ConnectPgSourceOptions {
  /** connect-pg-simple's `schemaName`. @default 'public' */
  readonly schema?: string;
  /** connect-pg-simple's `tableName`. @default 'session' */
  readonly table?: string;
  /** Longest wait for one statement, ms; past it the request answers 503. @default 2000 */
  readonly timeoutMs?: number;
}

/** The old sessions connect-pg-simple kept in this database, for `expressSession({ source })`. */
export function connectPgSource(
  client: PostgresClient,
  options: ConnectPgSourceOptions = {},
): MigrationSource {
  if (!client || typeof client.query !== 'function')
    throw new SessionError(
      'invalid_config',
      '[tessera] [postgres] connectPgSource: `client` must be a pg Pool, Client or PGlite.',
    );
  const table = `${quoteIdentifier(check('schema', options.schema ?? 'public'))}.${quoteIdentifier(check('table', options.table ?? 'session'))}`;
  const timeoutMs = checkTimeout('timeoutMs', options.timeoutMs ?? 2000);
  // `expire` is a timestamp without time zone written through to_timestamp() in the session's
  // TimeZone: the cast back to timestamptz undoes exactly that.
  const take = `DELETE FROM ${table} WHERE sid = $1 RETURNING sess, (extract(epoch FROM expire::timestamptz) * 1000)::float8 AS expire_ms`;
  const restore = `INSERT INTO ${table} (sid, sess, expire) VALUES ($1, $2::json, to_timestamp($3::float8 / 1000)) ON CONFLICT (sid) DO NOTHING`;
  return {
    name: 'connect-pg-simple',
    atomic: true,
    async take(sid) {
      const rows = await runQuery<{ sess: unknown; expire_ms: unknown }>(client, timeoutMs, take, [sid]);
      const row = rows[0];
      if (row === undefined) return null;
      let value = row.sess;
      if (typeof value === 'string') {
        try {
          value = JSON.parse(value);
        } catch {
          value = null; // the core reports it and migrates nothing
        }
      }
      const ms = Number(row.expire_ms);
      return { value, expiresAt: Number.isFinite(ms) ? ms : null };
    },
    async restore(sid, taken, { now }) {
      // connect-pg-simple's `expire` is NOT NULL: a record without one gets its default day.
      const expiresAt = taken.expiresAt ?? now + 86_400_000;
      if (expiresAt <= now) return;
      await runQuery(client, timeoutMs, restore, [sid, JSON.stringify(taken.value), expiresAt]);
    },
  };
}
