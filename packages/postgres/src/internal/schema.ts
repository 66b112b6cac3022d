/**
 * The versioned schema. Each migration is a list of idempotent statements, so the same text
 * serves `migrate()` (which also records the version under an advisory lock) and teams that
 * run `migrationSql()` through their own tooling.
 */
import type { Names } from './identifiers.js';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly statements: (n: Names) => readonly string[];
}

/** Columns in insertion order; `rowParams` in rows.ts produces values in the same order. */
export const COLUMNS = [
  'id',
  'tag',
  'handle',
  'user_id',
  'version',
  'created_at',
  'last_seen_at',
  'idle_timeout_ms',
  'absolute_expires_at',
  'expires_at',
  'authenticated_at',
  'client_ip',
  'client_ip_prefix',
  'client_user_agent',
  'client_ua_hash',
  'data',
] as const;

/**
 * The start of the message `<table>_rotate` and `<table>_revoke_all` raise (SQLSTATE 55000)
 * outside READ COMMITTED; `runQuery` turns it into `SessionError('invalid_config')`.
 * No quote, `%` or `$` in it: it is spliced into a PL/pgSQL string literal.
 */
export const ISOLATION_REFUSED = 'tessera: the session store needs READ COMMITTED';

/**
 * First statement of both functions. The per-user advisory lock only helps
 * if the statements after it see what the previous holder committed: true under READ
 * COMMITTED (each statement takes a fresh snapshot), false under REPEATABLE READ and
 * SERIALIZABLE, where the snapshot was taken when the calling statement began, before the
 * wait. The cap would then count stale rows and revoke-all could miss a session committed
 * while it waited, so refuse before doing anything.
 */
function isolationGuard(): string {
  return `IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION '${ISOLATION_REFUSED} isolation (this transaction runs at %)', upper(current_setting('transaction_isolation'))
      USING ERRCODE = '55000',
        HINT = 'set default_transaction_isolation to ''read committed'' for the pool or role the session store uses';
  END IF;`;
}

function rotateFunction(n: Names): string {
  const t = n.qualifiedTable;
  return `CREATE OR REPLACE FUNCTION ${n.rotate}(
  p_now timestamptz, p_from text,
  p_id text, p_tag text, p_handle text, p_user text, p_version integer,
  p_created timestamptz, p_last_seen timestamptz, p_idle bigint, p_absolute timestamptz, p_expires timestamptz,
  p_authenticated timestamptz, p_ip text, p_ip_prefix text, p_user_agent text, p_ua_hash text, p_data jsonb,
  p_max integer, p_reject boolean)
RETURNS TABLE (status text, evicted text[])
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  v_live integer;
  v_evicted text[] := '{}';
BEGIN
  ${isolationGuard()}
  -- Serialise logins of one user (and revoke-all) so the cap is exact; taken first, so every
  -- later statement here sees what the previous holder committed.
  IF p_user IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtext(${n.lockLiteral}), hashtext(p_user));
  END IF;
  IF p_from IS NOT NULL THEN
    PERFORM 1 FROM ${t} WHERE id = p_from AND expires_at > p_now FOR UPDATE;
    IF NOT FOUND THEN
      RETURN QUERY SELECT 'conflict'::text, NULL::text[];
      RETURN;
    END IF;
  END IF;
  IF EXISTS (SELECT 1 FROM ${t} WHERE id = p_id AND expires_at > p_now) THEN
    RETURN QUERY SELECT 'conflict'::text, NULL::text[];
    RETURN;
  END IF;
  IF p_user IS NOT NULL AND p_max IS NOT NULL THEN
    DELETE FROM ${t} WHERE user_id = p_user AND expires_at <= p_now;
    SELECT count(*) INTO v_live FROM ${t}
      WHERE user_id = p_user AND expires_at > p_now AND id IS DISTINCT FROM p_from;
    IF v_live >= p_max THEN
      IF p_reject THEN
        RETURN QUERY SELECT 'limit'::text, NULL::text[];
        RETURN;
      END IF;
      WITH gone AS (
        DELETE FROM ${t} WHERE id IN (
          SELECT id FROM ${t}
          WHERE user_id = p_user AND expires_at > p_now AND id IS DISTINCT FROM p_from
          ORDER BY created_at, id
          LIMIT v_live - p_max + 1)
        RETURNING handle, created_at, id)
      SELECT coalesce(array_agg(handle ORDER BY created_at, id), '{}') INTO v_evicted FROM gone;
    END IF;
  END IF;
  IF p_from IS NOT NULL THEN
    DELETE FROM ${t} WHERE id = p_from;
  END IF;
  -- An expired row under the new key (not yet swept) must not block the insert.
  DELETE FROM ${t} WHERE id = p_id;
  INSERT INTO ${t} (${COLUMNS.join(', ')})
  VALUES (p_id, p_tag, p_handle, p_user, p_version, p_created, p_last_seen, p_idle, p_absolute, p_expires,
    p_authenticated, p_ip, p_ip_prefix, p_user_agent, p_ua_hash, p_data);
  RETURN QUERY SELECT 'ok'::text, v_evicted;
END
$fn$`;
}

function revokeAllFunction(n: Names): string {
  const t = n.qualifiedTable;
  return `CREATE OR REPLACE FUNCTION ${n.revokeAll}(p_user text, p_except text, p_now timestamptz)
RETURNS integer
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  v_count integer;
BEGIN
  ${isolationGuard()}
  -- Same lock as logins: a login that completed before this call is always seen and removed.
  PERFORM pg_advisory_xact_lock(hashtext(${n.lockLiteral}), hashtext(p_user));
  WITH gone AS (
    DELETE FROM ${t} WHERE user_id = p_user AND id IS DISTINCT FROM p_except
    RETURNING expires_at > p_now AS live)
  SELECT count(*) FILTER (WHERE live) INTO v_count FROM gone;
  RETURN v_count;
END
$fn$`;
}

/**
 * The shipped migrations. `data` holds one jsonb string per key, the value's JSON text, not the
 * parsed value: jsonb refuses `\u0000` and lone surrogates and rewrites numbers such as `1e21`,
 * and a string keeps the text byte for byte. A later change to the schema is a new entry here,
 * never an edit of a released one.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description:
      'sessions table (values as JSON text), user and expiry indexes, rotate and revoke-all functions (READ COMMITTED only), login throttle counters',
    statements: (n) => [
      `CREATE TABLE IF NOT EXISTS ${n.qualifiedTable} (
  id text PRIMARY KEY,
  tag text NOT NULL DEFAULT '',
  handle text NOT NULL,
  user_id text,
  version integer NOT NULL,
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  idle_timeout_ms bigint NOT NULL,
  absolute_expires_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  authenticated_at timestamptz,
  client_ip text,
  client_ip_prefix text,
  client_user_agent text,
  client_ua_hash text,
  data jsonb NOT NULL DEFAULT '{}'::jsonb
)`,
      `CREATE INDEX IF NOT EXISTS ${n.userIndex} ON ${n.qualifiedTable} (user_id, created_at) WHERE user_id IS NOT NULL`,
      `CREATE INDEX IF NOT EXISTS ${n.expiresIndex} ON ${n.qualifiedTable} (expires_at)`,
      rotateFunction(n),
      revokeAllFunction(n),
      // The login throttle's counters: one row per hashed account or address, expired rows
      // removed by the sweeper (every statement ignores them before that).
      `CREATE TABLE IF NOT EXISTS ${n.throttle} (
  key text PRIMARY KEY,
  count integer NOT NULL,
  last_at bigint NOT NULL,
  window_ms bigint NOT NULL,
  expires_at timestamptz NOT NULL
)`,
      `CREATE INDEX IF NOT EXISTS ${n.throttleIndex} ON ${n.throttle} (expires_at)`,
    ],
  },
];

export function migrationsTableSql(n: Names): string {
  return `CREATE TABLE IF NOT EXISTS ${n.migrations} (
  version integer PRIMARY KEY,
  description text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  run_id text
)`;
}
