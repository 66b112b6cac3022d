/**
 * The login throttle's counters on Postgres: one row per counter in `<table>_throttle`
 * (created by `migrate()`), keyed `a:<hash>` for an account and `i:<hash>` for an address (the
 * core's hashes: never the account name or the IP). Each call is ONE statement: a read is a
 * SELECT of both rows, a failure one `INSERT … ON CONFLICT DO UPDATE … RETURNING` of both
 * (the row lock serialises concurrent increments, and READ COMMITTED re-reads a row that
 * changed while it waited, so none is lost), a success one DELETE. Rows past their window
 * read as absent; the sweeper (`startSweeper`, `sweepExpired`) removes them.
 *
 * The account's row is always written before the address's, so two failures never lock the
 * same two rows in opposite orders (no deadlock).
 */
import {
  countOf,
  type StoreCallOptions,
  type ThrottleCallOptions,
  type ThrottleCount,
  type ThrottleCounters,
  type ThrottleCounts,
  type ThrottleKeys,
} from '@tessera/session-core';
import type { PostgresClient, TableOptions } from './client.js';
import { resolveNames } from './internal/identifiers.js';
import { runQuery } from './internal/query.js';

interface Row {
  readonly key: string;
  readonly count: number | string;
  readonly last_at: number | string;
}

interface Statements {
  readonly read: string;
  readonly fail: string;
  readonly reset: string;
}

function statements(options: TableOptions): Statements {
  const t = resolveNames(options).throttle;
  // The latest failure after this one: the stored one while the row is live, else `now`.
  const expired = 'a.last_at + excluded.window_ms <= excluded.last_at';
  const last = `CASE WHEN ${expired} THEN excluded.last_at ELSE GREATEST(a.last_at, excluded.last_at) END`;
  return {
    // $1/$2 the keys, $3 now, $4/$5 their windows.
    read: `SELECT key, count, last_at FROM ${t}
WHERE (key = $1 AND last_at + $4::bigint > $3::bigint) OR (key = $2 AND last_at + $5::bigint > $3::bigint)`,
    fail: `INSERT INTO ${t} AS a (key, count, last_at, window_ms, expires_at) VALUES
  ($1, 1, $3::bigint, $4::bigint, to_timestamp(($3::float8 + $4::float8) / 1000)),
  ($2, 1, $3::bigint, $5::bigint, to_timestamp(($3::float8 + $5::float8) / 1000))
ON CONFLICT (key) DO UPDATE SET
  count = CASE WHEN ${expired} THEN 1 ELSE a.count + 1 END,
  last_at = ${last},
  window_ms = excluded.window_ms,
  expires_at = to_timestamp(((${last})::float8 + excluded.window_ms) / 1000)
RETURNING key, count, last_at`,
    reset: `DELETE FROM ${t} WHERE key = $1`,
  };
}

export class PostgresThrottleCounters implements ThrottleCounters {
  readonly atomic = true;
  readonly #client: PostgresClient;
  readonly #timeoutMs: number;
  readonly #sql: Statements;

  constructor(client: PostgresClient, timeoutMs: number, options: TableOptions) {
    this.#client = client;
    this.#timeoutMs = timeoutMs;
    this.#sql = statements(options);
  }

  read(keys: ThrottleKeys, options: ThrottleCallOptions): Promise<ThrottleCounts> {
    return this.#both(this.#sql.read, keys, options);
  }

  fail(keys: ThrottleKeys, options: ThrottleCallOptions): Promise<ThrottleCounts> {
    return this.#both(this.#sql.fail, keys, options);
  }

  async reset(keys: ThrottleKeys, _options: StoreCallOptions): Promise<void> {
    await runQuery(this.#client, this.#timeoutMs, this.#sql.reset, [`a:${keys.account}`]);
  }

  async #both(sql: string, keys: ThrottleKeys, options: ThrottleCallOptions): Promise<ThrottleCounts> {
    const account = `a:${keys.account}`;
    const ip = `i:${keys.ip}`;
    const rows = await runQuery<Row>(this.#client, this.#timeoutMs, sql, [
      account,
      ip,
      options.now,
      options.accountWindowMs,
      options.ipWindowMs,
    ]);
    return { account: rowCount(rows, account), ip: rowCount(rows, ip) };
  }
}

/** bigint columns come back as strings from node-postgres, as numbers from PGlite. */
function rowCount(rows: readonly Row[], key: string): ThrottleCount {
  const row = rows.find((r) => r.key === key);
  return countOf(row?.count, row?.last_at);
}
