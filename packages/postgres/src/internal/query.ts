import { isSessionError, SessionError, withTimeout } from '@tessera/session-core';
import type { PostgresClient } from '../client.js';
import { ISOLATION_REFUSED } from './schema.js';

/** SQLSTATEs that mean "the schema is not there": the fix is to run the migration. */
const MISSING_OBJECT = new Set(['42P01', '42883', '3F000']);

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The rotate and revoke-all functions refused to run outside READ COMMITTED: a setting to
 * fix, not an outage, so it is `invalid_config` (the statement changed nothing).
 */
function isolationRefused(error: unknown): SessionError | undefined {
  const message = (error as { message?: unknown } | null)?.message;
  if (sqlState(error) !== '55000' || typeof message !== 'string' || !message.includes(ISOLATION_REFUSED)) {
    return undefined;
  }
  const level = /runs at ([A-Z ]+)\)/.exec(message)?.[1] ?? 'another isolation level';
  return new SessionError(
    'invalid_config',
    `[tessera] [postgres] login and revoke-all refused: the store needs READ COMMITTED isolation, but this transaction runs at ${level}. ` +
      'Under REPEATABLE READ or SERIALIZABLE the statement sees a snapshot taken before it waited for the per-user lock, so the session cap and revoke-all could miss concurrent logins. ' +
      "Set default_transaction_isolation to 'read committed' for the store's pool or role (pg: options '-c default_transaction_isolation=read\\ committed'), and do not call the store inside a REPEATABLE READ or SERIALIZABLE transaction. Nothing was written.",
    { cause: error },
  );
}

/**
 * Run one statement with a bounded wait. Drivers may hang for minutes on a dead TCP peer, so
 * the store keeps its own timer; the abandoned query is left to the driver (its failure is
 * swallowed here, never unhandled).
 */
export async function runQuery<Row>(
  client: PostgresClient,
  timeoutMs: number,
  text: string,
  params: unknown[],
): Promise<Row[]> {
  // A driver may also throw synchronously (a closed client): treat it like a failed query.
  const pending = Promise.resolve().then(() => client.query(text, params));
  try {
    const result = await withTimeout(
      pending,
      timeoutMs,
      () =>
        new SessionError(
          'store_unavailable',
          `[tessera] [postgres] no answer within ${timeoutMs} ms; check the database and the pool (raise timeoutMs if the database is merely slow).`,
        ),
    );
    return result.rows as Row[];
  } catch (error) {
    if (isSessionError(error)) throw error;
    const refused = isolationRefused(error);
    if (refused) throw refused;
    const state = sqlState(error);
    const hint =
      state && MISSING_OBJECT.has(state)
        ? 'the sessions table or its functions are missing: run migrate() (or the SQL from migrationSql()) first'
        : 'check that the database is reachable';
    throw new SessionError(
      'store_unavailable',
      `[tessera] [postgres] query failed (${state ?? 'no SQLSTATE'}); ${hint}.`,
      {
        cause: error,
      },
    );
  }
}

/** Resolve a timeout option once: a positive finite number of ms. */
export function checkTimeout(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new SessionError(
      'invalid_config',
      `[tessera] [postgres] ${name} must be a positive number of ms, got ${value}.`,
    );
  }
  return value;
}
