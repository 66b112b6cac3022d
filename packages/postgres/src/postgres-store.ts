/**
 * The Postgres store. Every operation is ONE SQL statement, so it is one round trip and runs
 * in one implicit transaction whatever the pool does between calls. Login with a cap and
 * revoke-all call PL/pgSQL functions installed by `migrate()`, whose bodies take a per-user
 * advisory lock inside that statement's transaction. That lock needs READ COMMITTED (a fresh
 * snapshot per statement), so the functions refuse any other isolation level: `rotate` and
 * `revokeUserSessions` then reject with `SessionError('invalid_config')` and write nothing.
 */
import {
  checkDataLimits,
  checkRevokeOptions,
  type DataLimits,
  type DestroyOptions,
  expiresAtOf,
  type LoadOptions,
  type LoadResult,
  type RevokeOptions,
  type RotateInput,
  type RotateResult,
  resolveDataLimits,
  SessionError,
  type SessionKey,
  type SessionPatch,
  type SessionStore,
  type StoreCallOptions,
  type StoreCapabilities,
  type StoredSession,
  type StoredSessionInfo,
  storedSessionInfoOf,
  type UpdateResult,
} from '@tessera/session-core';
import type { PostgresClient, TableOptions } from './client.js';
import { resolveNames } from './internal/identifiers.js';
import { checkTimeout, runQuery } from './internal/query.js';
import {
  dataFromParams,
  decodeRow,
  rowParams,
  rowValues,
  type SessionRow,
  selectList,
  ts,
} from './internal/rows.js';
import { COLUMNS } from './internal/schema.js';
import { PostgresThrottleCounters } from './throttle-counters.js';

export interface PostgresStoreOptions extends TableOptions {
  /**
   * Runs the statements: a node-postgres `Pool` or `Client`, a PGlite instance, or anything
   * with the same `query(text, params)`. The store never closes it.
   */
  readonly client: PostgresClient;
  /**
   * Longest wait for one statement, ms. Past it the call fails with
   * `SessionError('store_unavailable')` (the driver's query is abandoned, not cancelled:
   * also set `statement_timeout` / `query_timeout` on the pool). @default 5000
   */
  readonly timeoutMs?: number;
  /**
   * Most bytes of data one session may hold (UTF-8 bytes of every key plus its JSON text):
   * create, login and update refuse a row past it with `SessionError('session_too_large')`,
   * the update inside its statement (on the row it locked), so concurrent writers and other
   * apps on this table cannot grow one either. The core's `maxDataBytes` may not be above it.
   * @default 65536 (64 KiB)
   */
  readonly maxDataBytes?: number;
  /** Most top-level data keys one session may hold; past it like `maxDataBytes`. @default 256 */
  readonly maxKeys?: number;
}

/**
 * Largest cap `<table>_rotate` takes (`p_max integer`). The core sends
 * `Number.MAX_SAFE_INTEGER` for "no cap"; 2^31 - 1 sessions for one user is no cap either.
 */
const MAX_CAP = 2_147_483_647;

const CAPABILITIES: StoreCapabilities = Object.freeze({
  atomicMerge: true,
  atomicRotate: true,
  noResurrect: true,
});

interface Statements {
  readonly load: string;
  readonly create: string;
  readonly update: string;
  readonly destroy: string;
  readonly rotate: string;
  readonly list: string;
  readonly revokeOne: string;
  readonly revokeAll: string;
}

function buildStatements(options: TableOptions): Statements {
  const n = resolveNames(options);
  const t = n.qualifiedTable;
  const live = (a: string, p: number) => `${a}.expires_at > ${ts(p)}`;
  const idleExpiry = `CASE WHEN a.idle_timeout_ms > 0 THEN LEAST(to_timestamp(($2::float8 + a.idle_timeout_ms) / 1000), a.absolute_expires_at) ELSE a.absolute_expires_at END`;
  return {
    // Read and, when due, touch. The CTE's UPDATE and the plain SELECT see the same snapshot,
    // so the SELECT branch answers only when the UPDATE did not (NOT EXISTS). An expired row
    // comes back untouched: the core reports why and deletes it, so a clock that later steps
    // backwards cannot revive it.
    load: `WITH hit AS (
  UPDATE ${t} AS a SET last_seen_at = ${ts(2)}, expires_at = ${idleExpiry}
  WHERE a.id = $1 AND ${live('a', 2)} AND a.last_seen_at <= ${ts(3)}
  RETURNING a.*)
SELECT true AS touched, ${selectList('h')} FROM hit AS h
UNION ALL
SELECT false AS touched, ${selectList('a')} FROM ${t} AS a
WHERE a.id = $1 AND NOT EXISTS (SELECT 1 FROM hit)`,
    // An expired row that the sweeper has not removed yet does not hold the key.
    create: `INSERT INTO ${t} AS a (${COLUMNS.join(', ')}) VALUES (${rowValues(1).join(', ')})
ON CONFLICT (id) DO UPDATE SET ${COLUMNS.filter((c) => c !== 'id')
      .map((c) => `${c} = excluded.${c}`)
      .join(', ')}
WHERE a.expires_at <= ${ts(18)}
RETURNING 1 AS ok`,
    // FOR UPDATE serialises concurrent updates and hands each the latest `data` (READ
    // COMMITTED re-reads a row that changed while it waited), so different keys never
    // overwrite each other and the size check sees them all; a deleted or expired row matches
    // nothing (`found` false). A patch that sets nothing skips the check: deletes always pass.
    update: `WITH cur AS (
  SELECT id, (data || ${dataFromParams(3, 4)}) - $5::text[] AS next FROM ${t}
  WHERE id = $1 AND expires_at > ${ts(2)} FOR UPDATE),
upd AS (
  UPDATE ${t} AS a SET data = cur.next FROM cur
  WHERE a.id = cur.id AND (cardinality($3::text[]) = 0 OR (
    SELECT coalesce(sum(octet_length(e.key) + octet_length(e.value)), 0) <= $6::bigint AND count(*) <= $7::bigint
    FROM jsonb_each_text(cur.next) AS e))
  RETURNING 1)
SELECT EXISTS (SELECT 1 FROM cur) AS found, EXISTS (SELECT 1 FROM upd) AS ok`,
    destroy: `DELETE FROM ${t} WHERE id = $1 RETURNING expires_at > ${ts(2)} AS live`,
    rotate: `SELECT status, evicted FROM ${n.rotate}(${ts(1)}, $2::text, ${rowValues(3).join(', ')}, $20::integer, $21::boolean)`,
    list: `WITH pruned AS (DELETE FROM ${t} WHERE user_id = $1 AND expires_at <= ${ts(2)})
SELECT ${selectList('a')} FROM ${t} AS a
WHERE a.user_id = $1 AND ${live('a', 2)}
ORDER BY a.created_at, a.id`,
    revokeOne: `DELETE FROM ${t} WHERE user_id = $1 AND handle = $2 AND expires_at > ${ts(3)} RETURNING 1 AS ok`,
    revokeAll: `SELECT ${n.revokeAll}($1::text, $2::text, ${ts(3)})::float8 AS n`,
  };
}

const WHO = '[tessera] [postgres] ';

export class PostgresStore implements SessionStore {
  readonly name = 'postgres';
  readonly capabilities = CAPABILITIES;
  readonly limits: DataLimits;
  readonly #client: PostgresClient;
  readonly #timeoutMs: number;
  readonly #sql: Statements;
  readonly throttle: PostgresThrottleCounters;

  constructor(options: PostgresStoreOptions) {
    if (typeof options?.client?.query !== 'function') {
      throw new SessionError(
        'invalid_config',
        '[tessera] [postgres] `client` must have a query(text, params) method: pass a pg Pool or Client, or a PGlite instance.',
      );
    }
    this.#client = options.client;
    this.#timeoutMs = checkTimeout('timeoutMs', options.timeoutMs ?? 5000);
    this.limits = resolveDataLimits(options, WHO);
    this.#sql = buildStatements(options);
    this.throttle = new PostgresThrottleCounters(this.#client, this.#timeoutMs, options);
  }

  #run<Row>(text: string, params: unknown[]): Promise<Row[]> {
    return runQuery<Row>(this.#client, this.#timeoutMs, text, params);
  }

  async load(key: SessionKey, options: LoadOptions): Promise<LoadResult> {
    const rows = await this.#run<SessionRow & { touched: boolean }>(this.#sql.load, [
      key.id,
      options.now,
      options.now - options.touchIntervalMs,
    ]);
    const row = rows[0];
    if (!row) return { status: 'missing' };
    const session = decodeRow(row);
    if (typeof session === 'string') return { status: 'corrupt', detail: session };
    return { status: 'found', session, touched: row.touched === true };
  }

  async create(key: SessionKey, session: StoredSession, options: StoreCallOptions): Promise<boolean> {
    checkDataLimits(session.data, this.limits, WHO);
    const rows = await this.#run(this.#sql.create, [
      ...rowParams(key, session, expiresAtOf(session)),
      options.now,
    ]);
    return rows.length > 0;
  }

  async update(key: SessionKey, patch: SessionPatch, options: StoreCallOptions): Promise<UpdateResult> {
    const keys = Object.keys(patch.set);
    const [row] = await this.#run<{ found: boolean; ok: boolean }>(this.#sql.update, [
      key.id,
      options.now,
      keys,
      keys.map((k) => patch.set[k]),
      [...patch.unset],
      this.limits.maxDataBytes,
      this.limits.maxKeys,
    ]);
    if (row?.found !== true) return 'missing';
    if (row.ok !== true) {
      throw new SessionError(
        'session_too_large',
        `${WHO}the session's data after this update would be over ${this.limits.maxDataBytes} bytes or ${this.limits.maxKeys} keys; nothing was written.`,
      );
    }
    return 'ok';
  }

  async rotate(input: RotateInput): Promise<RotateResult> {
    const { session } = input.to;
    checkDataLimits(session.data, this.limits, WHO);
    const rows = await this.#run<{ status: string; evicted: string[] | null }>(this.#sql.rotate, [
      input.now,
      input.from?.key.id ?? null,
      ...rowParams(input.to.key, session, expiresAtOf(session)),
      session.userId === null || !input.limit ? null : Math.min(input.limit.max, MAX_CAP),
      input.limit?.onLimit === 'reject',
    ]);
    const row = rows[0];
    if (row?.status === 'ok')
      return { status: 'ok', evicted: (row.evicted ?? []).map((handle) => ({ handle })) };
    if (row?.status === 'limit') return { status: 'limit' };
    return { status: 'conflict' };
  }

  async destroy(key: SessionKey, options: DestroyOptions): Promise<boolean> {
    const rows = await this.#run<{ live: boolean }>(this.#sql.destroy, [key.id, options.now]);
    return rows[0]?.live === true;
  }

  async listUserSessions(userId: string, options: StoreCallOptions): Promise<readonly StoredSessionInfo[]> {
    const rows = await this.#run<SessionRow>(this.#sql.list, [userId, options.now]);
    const out: StoredSessionInfo[] = [];
    for (const row of rows) {
      const s = decodeRow(row);
      // A corrupt row is not listed; loading it reports it and the core destroys it.
      if (typeof s === 'string') continue;
      out.push(storedSessionInfoOf(s, { id: row.id, tag: row.tag }));
    }
    return out;
  }

  async revokeUserSessions(userId: string, options: RevokeOptions): Promise<number> {
    checkRevokeOptions(options);
    const { now, only, except } = options;
    // One session needs no lock against logins: a plain DELETE. All (or all but one) goes
    // through the function that takes the logins' per-user lock. Either way one statement.
    if (only !== undefined) return (await this.#run(this.#sql.revokeOne, [userId, only, now])).length;
    const rows = await this.#run<{ n: number }>(this.#sql.revokeAll, [userId, except?.id ?? null, now]);
    return rows[0]?.n ?? 0;
  }
}

/** A Postgres session store over `options.client`. Run `migrate()` once before first use. */
export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  return new PostgresStore(options);
}
