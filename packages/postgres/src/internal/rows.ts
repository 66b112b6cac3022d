/**
 * Between `StoredSession` and table rows. Timestamps travel as ms numbers and are converted
 * in SQL (`to_timestamp(ms / 1000)` in, `extract(epoch) * 1000` out): exact to the ms, and
 * independent of the driver's date parsing and of the session time zone.
 */
import {
  type SessionKey,
  type StoredClient,
  type StoredSession,
  validateStored,
} from '@tessera/session-core';

/** `$n` as a timestamptz from ms since the epoch. */
export const ts = (n: number): string => `to_timestamp($${n}::float8 / 1000)`;
/** A timestamptz column as ms since the epoch (float8, so every driver returns a number). */
const ms = (column: string): string => `round(extract(epoch FROM ${column}) * 1000)::float8`;

/**
 * JSON text per key in, one `jsonb` object out whose values are that text as jsonb strings
 * (`{"cart": "[1,2]"}`). Postgres never parses the values: jsonb refuses escapes that every
 * other store round-trips (`\u0000`, lone surrogates such as `\ud800`), and a string keeps
 * the text exactly as written (numbers such as `1e21` included). Nothing is ever spliced.
 */
export const dataFromParams = (keys: number, values: number): string =>
  `(SELECT coalesce(jsonb_object_agg(u.k, to_jsonb(u.v)), '{}'::jsonb) FROM unnest($${keys}::text[], $${values}::text[]) AS u(k, v))`;

/** The columns `decodeRow` reads, from table alias `a`. */
export function selectList(a: string): string {
  return [
    `${a}.id`,
    `${a}.tag`,
    `${a}.version`,
    `${a}.handle`,
    `${a}.user_id`,
    `${ms(`${a}.created_at`)} AS created_at`,
    `${ms(`${a}.last_seen_at`)} AS last_seen_at`,
    `${a}.idle_timeout_ms::float8 AS idle_timeout_ms`,
    `${ms(`${a}.absolute_expires_at`)} AS absolute_expires_at`,
    `${ms(`${a}.expires_at`)} AS expires_at`,
    `${ms(`${a}.authenticated_at`)} AS authenticated_at`,
    `${a}.client_ip`,
    `${a}.client_ip_prefix`,
    `${a}.client_user_agent`,
    `${a}.client_ua_hash`,
    // Stored as JSON text per key (a jsonb object of strings) and returned as it is, so no
    // driver ever parses session values; a non-object `data` comes back NULL and reads as
    // corrupt, and so does a non-string value (`decodeRow`).
    `CASE WHEN jsonb_typeof(${a}.data) = 'object' THEN ${a}.data END AS data`,
  ].join(', ');
}

export interface SessionRow {
  id: string;
  tag: string;
  version: number;
  handle: unknown;
  user_id: unknown;
  created_at: unknown;
  last_seen_at: unknown;
  idle_timeout_ms: unknown;
  absolute_expires_at: unknown;
  expires_at: unknown;
  authenticated_at: unknown;
  client_ip: unknown;
  client_ip_prefix: unknown;
  client_user_agent: unknown;
  client_ua_hash: unknown;
  data: unknown;
}

/** The 16 values of a row, in `COLUMNS` order except that data is two arrays (keys, values). */
export function rowParams(key: SessionKey, s: StoredSession, expiresAt: number): unknown[] {
  const keys = Object.keys(s.data);
  return [
    key.id,
    key.tag,
    s.handle,
    s.userId,
    s.version,
    s.createdAt,
    s.lastSeenAt,
    s.idleTimeoutMs,
    s.absoluteExpiresAt,
    expiresAt,
    s.authenticatedAt,
    s.client?.ip ?? null,
    s.client?.ipPrefix ?? null,
    s.client?.userAgent ?? null,
    s.client?.uaHash ?? null,
    keys,
    keys.map((k) => s.data[k]),
  ];
}

/** SQL value expressions for `rowParams` starting at `$first`, in `COLUMNS` order. */
export function rowValues(first: number): string[] {
  const p = (i: number) => first + i;
  return [
    `$${p(0)}::text`,
    `$${p(1)}::text`,
    `$${p(2)}::text`,
    `$${p(3)}::text`,
    `$${p(4)}::integer`,
    ts(p(5)),
    ts(p(6)),
    `$${p(7)}::bigint`,
    ts(p(8)),
    ts(p(9)),
    ts(p(10)),
    `$${p(11)}::text`,
    `$${p(12)}::text`,
    `$${p(13)}::text`,
    `$${p(14)}::text`,
    dataFromParams(p(15), p(16)),
  ];
}

/** The four client columns as one value: null when all are NULL (the core checks the rest). */
function clientOf(row: SessionRow): Record<keyof StoredClient, unknown> | null {
  const { client_ip: ip, client_ip_prefix: ipPrefix, client_user_agent: userAgent } = row;
  const uaHash = row.client_ua_hash;
  if (ip === null && ipPrefix === null && userAgent === null && uaHash === null) return null;
  return { ip, ipPrefix, userAgent, uaHash };
}

/** A copy with a null prototype, so a stored key named "__proto__" stays a plain key. */
function dataOf(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = Object.create(null);
  for (const k of Object.keys(value)) out[k] = Object.getOwnPropertyDescriptor(value, k)?.value;
  return out;
}

/** A row as a `StoredSession` (validated by the core's `validateStored`), or what is wrong with it. */
export function decodeRow(row: SessionRow): StoredSession | string {
  return validateStored({
    version: row.version,
    handle: row.handle,
    userId: row.user_id,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    idleTimeoutMs: row.idle_timeout_ms,
    absoluteExpiresAt: row.absolute_expires_at,
    authenticatedAt: row.authenticated_at,
    client: clientOf(row),
    data: dataOf(row.data),
  });
}
