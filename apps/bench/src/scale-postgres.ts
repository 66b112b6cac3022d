/**
 * The Postgres side of the scale check: 1,000,000 more rows in the session table, cloned
 * server-side from a real row the store wrote (same columns and sizes; their own ids, handles
 * and users, so every index grows as it would), then removed again for the A-B-A comparison.
 */
import type pg from 'pg';

const COLUMNS = `tag, version, created_at, last_seen_at, idle_timeout_ms, absolute_expires_at, expires_at,
  authenticated_at, client_ip, client_ip_prefix, client_user_agent, client_ua_hash, data`;

/** Insert `count` cloned rows in batches; answers the time it took. */
export async function bulkInsertRows(
  client: pg.Client,
  table: string,
  count: number,
  log: (s: string) => void,
): Promise<{ ms: number }> {
  const started = Date.now();
  const batch = 250_000;
  for (let from = 1; from <= count; from += batch) {
    const to = Math.min(count, from + batch - 1);
    await client.query(
      `INSERT INTO ${table} (id, handle, user_id, ${COLUMNS})
       SELECT 'bulk' || lpad(g::text, 39, '0'), substr(md5(g::text), 1, 16), 'bulk-user-' || (g % 200000), ${COLUMNS}
       FROM generate_series($1::int, $2::int) AS g,
            (SELECT * FROM ${table} WHERE user_id IS NOT NULL LIMIT 1) AS r`,
      [from, to],
    );
    log(`  postgres bulk insert: ${to} rows`);
  }
  await client.query(`ANALYZE ${table}`);
  return { ms: Date.now() - started };
}

/** Remove the cloned rows and vacuum, so the table is back to its small size. */
export async function deleteBulkRows(client: pg.Client, table: string): Promise<void> {
  await client.query(`DELETE FROM ${table} WHERE id LIKE 'bulk%'`);
  await client.query(`VACUUM ANALYZE ${table}`);
}

export async function rowCount(client: pg.Client, table: string): Promise<number> {
  const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0]!.n);
}
