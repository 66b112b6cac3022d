/**
 * Removes expired rows: sessions, and the login throttle's counters. Expired rows never load (every statement checks `expires_at`), so the
 * sweeper only reclaims space: it can run late, twice, or from several processes at once.
 * Each batch is its own short statement (SKIP LOCKED, so sweepers never queue behind each
 * other or behind a login), keeping row locks and WAL bursts small.
 */
import { SessionError } from '@tessera/session-core';
import type { PostgresClient, TableOptions } from './client.js';
import { resolveNames } from './internal/identifiers.js';
import { checkTimeout, runQuery } from './internal/query.js';
import { ts } from './internal/rows.js';

export interface SweepOptions extends TableOptions {
  /** Rows deleted per statement. @default 5000 */
  readonly batchSize?: number;
  /** Statements per sweep at most, so one sweep is bounded in time; the rest waits for the next. @default 100 */
  readonly maxBatches?: number;
  /** The clock, ms since the epoch: rows with `expires_at <= now` go. @default Date.now() */
  readonly now?: number;
  /** Longest wait for one batch, ms. @default 30000 */
  readonly timeoutMs?: number;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new SessionError(
      'invalid_config',
      `[tessera] [postgres] ${name} must be a positive integer, got ${value}.`,
    );
  }
  return value;
}

interface ResolvedSweep {
  readonly sql: string;
  readonly batchSize: number;
  readonly maxBatches: number;
  readonly timeoutMs: number;
}

function resolveSweep(options: Omit<SweepOptions, 'now'>): ResolvedSweep {
  const n = resolveNames(options);
  // Sessions and the login throttle's counters, a batch of each per statement.
  const batch = (table: string, key: string) => `DELETE FROM ${table} WHERE ${key} IN (
    SELECT ${key} FROM ${table} WHERE expires_at <= ${ts(1)} LIMIT $2 FOR UPDATE SKIP LOCKED)
  RETURNING 1`;
  return {
    sql: `WITH gone AS (${batch(n.qualifiedTable, 'id')}),
counters AS (${batch(n.throttle, 'key')})
SELECT (SELECT count(*) FROM gone)::float8 AS n, (SELECT count(*) FROM counters)::float8 AS c`,
    batchSize: positiveInteger('batchSize', options.batchSize ?? 5000),
    maxBatches: positiveInteger('maxBatches', options.maxBatches ?? 100),
    timeoutMs: checkTimeout('timeoutMs', options.timeoutMs ?? 30_000),
  };
}

async function sweep(client: PostgresClient, r: ResolvedSweep, now: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < r.maxBatches; i++) {
    const rows = await runQuery<{ n: number; c: number }>(client, r.timeoutMs, r.sql, [now, r.batchSize]);
    const sessions = rows[0]?.n ?? 0;
    const counters = rows[0]?.c ?? 0;
    total += sessions + counters;
    if (sessions < r.batchSize && counters < r.batchSize) break;
  }
  return total;
}

/**
 * Delete expired sessions and login throttle counters in batches; answers how many rows went. Call it from a cron job,
 * or use `startSweeper` to run it in-process.
 */
export async function sweepExpired(client: PostgresClient, options: SweepOptions = {}): Promise<number> {
  return sweep(client, resolveSweep(options), options.now ?? Date.now());
}

export interface SweeperOptions extends Omit<SweepOptions, 'now'> {
  /** Pause between sweeps, ms. @default 60000 */
  readonly intervalMs?: number;
  /** The clock. @default Date.now */
  readonly now?: () => number;
  /** After each sweep, with the number of rows removed. @default none */
  readonly onSweep?: (removed: number) => void;
  /** When a sweep fails (it is retried next interval). @default console.warn of the message */
  readonly onError?: (error: unknown) => void;
}

export interface Sweeper {
  /** Run one sweep now (also what the timer calls); answers the rows removed. */
  sweepNow(): Promise<number>;
  /** Stop the timer and wait for a sweep in progress. */
  stop(): Promise<void>;
}

/**
 * Sweep every `intervalMs` in this process. The timer is `unref`'d, so it never keeps the
 * process alive; sweeps never overlap (the next is scheduled when one finishes).
 */
export function startSweeper(client: PostgresClient, options: SweeperOptions = {}): Sweeper {
  const resolved = resolveSweep(options);
  const intervalMs = checkTimeout('intervalMs', options.intervalMs ?? 60_000);
  const now = options.now ?? Date.now;
  const onSweep = options.onSweep ?? (() => {});
  const onError =
    options.onError ??
    ((error: unknown) => console.warn(`[tessera] [postgres] sweep failed: ${(error as Error)?.message}`));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<number> | undefined;
  let stopped = false;

  const sweepNow = (): Promise<number> => {
    running ??= sweep(client, resolved, now()).finally(() => {
      running = undefined;
    });
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      sweepNow().then(onSweep, onError).finally(schedule);
    }, intervalMs);
    timer.unref?.();
  };
  schedule();
  return {
    sweepNow,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => {});
    },
  };
}
