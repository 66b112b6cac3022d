/**
 * Between `StoredSession` and table rows. Timestamps travel as ms numbers and are converted
 * in SQL (`to_timestamp(ms / 1000)` in, `extract(epoch) * 1000` out): exact to the ms, and
 * independent of the driver's date parsing and of the session time zone.
 */
import type { EncodedData, SessionKey, StoredClient, StoredSession } from '@tessera/session-core';

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

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const str = (v: unknown): v is string => typeof v === 'string';

function decodeClient(row: SessionRow): StoredClient | null | undefined {
  const {
    client_ip: ip,
    client_ip_prefix: ipPrefix,
    client_user_agent: userAgent,
    client_ua_hash: uaHash,
  } = row;
  if (ip === null && ipPrefix === null && userAgent === null && uaHash === null) return null;
  if (!str(ip) || !str(ipPrefix) || !str(userAgent) || !str(uaHash)) return undefined;
  return { ip, ipPrefix, userAgent, uaHash };
}

function decodeData(value: unknown): EncodedData | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  // Null prototype: a stored key named "__proto__" stays a plain key.
  const out: Record<string, string> = Object.create(null);
  for (const k of Object.keys(value)) {
    const v = Object.getOwnPropertyDescriptor(value, k)?.value;
    if (!str(v)) return undefined;
    out[k] = v;
  }
  return out;
}

/** A row as a `StoredSession`, or a reason why it cannot be one. */
export function decodeRow(row: SessionRow): StoredSession | string {
  if (row.version !== 1) return `unknown record version ${JSON.stringify(row.version)}`;
  const { handle, user_id: userId, created_at: createdAt, last_seen_at: lastSeenAt } = row;
  const { idle_timeout_ms: idleTimeoutMs, absolute_expires_at: absoluteExpiresAt } = row;
  const authenticatedAt = row.authenticated_at;
  if (!str(handle) || handle.length === 0) return 'missing handle';
  if (userId !== null && !str(userId)) return 'bad user id';
  if (!num(createdAt) || !num(lastSeenAt) || !num(absoluteExpiresAt)) return 'bad timestamps';
  if (!num(idleTimeoutMs) || idleTimeoutMs < 0) return 'bad idle timeout';
  if (authenticatedAt !== null && !num(authenticatedAt)) return 'bad authenticatedAt';
  const client = decodeClient(row);
  if (client === undefined) return 'bad client metadata';
  const data = decodeData(row.data);
  if (data === undefined) return 'data is not an object of JSON texts';
  return {
    version: 1,
    handle,
    userId,
    createdAt,
    lastSeenAt,
    idleTimeoutMs,
    absoluteExpiresAt,
    authenticatedAt,
    client,
    data,
  };
}
