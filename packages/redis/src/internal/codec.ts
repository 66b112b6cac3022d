/**
 * StoredSession <-> hash fields. Short field names keep the hash in Redis' compact
 * listpack encoding; data keys get a `d:` prefix so a delta is HSET/HDEL of just those
 * fields and can never collide with the metadata fields.
 */
import type { EncodedData, SessionPatch, StoredClient, StoredSession } from '@tessera/session-core';

export const DATA_PREFIX = 'd:';

/** Field/value pairs for HSET. Absent (null) values are left out rather than stored. */
export function encodeSession(s: StoredSession): string[] {
  const out = [
    'v',
    String(s.version),
    'h',
    s.handle,
    'c',
    String(s.createdAt),
    'l',
    String(s.lastSeenAt),
    'i',
    String(s.idleTimeoutMs),
    'x',
    String(s.absoluteExpiresAt),
  ];
  if (s.userId !== null) out.push('u', s.userId);
  if (s.authenticatedAt !== null) out.push('t', String(s.authenticatedAt));
  if (s.client !== null) out.push(...encodeClient(s.client));
  for (const name of Object.keys(s.data)) out.push(DATA_PREFIX + name, s.data[name]!);
  return out;
}

/** ARGV tail for the update script: pair count, pairs, then fields to delete. */
export function encodePatch(patch: SessionPatch): string[] {
  const sets = Object.keys(patch.set);
  const out = [String(sets.length)];
  for (const name of sets) out.push(DATA_PREFIX + name, patch.set[name]!);
  for (const name of patch.unset) out.push(DATA_PREFIX + name);
  return out;
}

/**
 * Redis keeps a hash in the compact listpack encoding only while every value is at most
 * `hash-max-listpack-value` (64) bytes; one longer value converts the whole hash to a
 * hashtable, about 2.5 times the memory. Browser user agents are ~110-150 bytes, so the
 * user agent is stored in chunks of at most 64 UTF-8 bytes (fields a0, a1, ...).
 */
const CHUNK_BYTES = 64;

function encodeClient(c: StoredClient): string[] {
  const out = ['p', c.ip, 'q', c.ipPrefix, 'w', c.uaHash];
  let chunk = '';
  let bytes = 0;
  let n = 0;
  for (const ch of c.userAgent) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > CHUNK_BYTES) {
      out.push(`a${n++}`, chunk);
      chunk = '';
      bytes = 0;
    }
    chunk += ch;
    bytes += size;
  }
  if (chunk !== '') out.push(`a${n}`, chunk);
  return out;
}

function decodeClient(meta: ReadonlyMap<string, string>): StoredClient | null | undefined {
  const ip = meta.get('p');
  const ipPrefix = meta.get('q');
  const uaHash = meta.get('w');
  if (ip === undefined && ipPrefix === undefined && uaHash === undefined) return null;
  if (ip === undefined || ipPrefix === undefined || uaHash === undefined) return undefined;
  let userAgent = '';
  for (let n = 0; meta.has(`a${n}`); n++) userAgent += meta.get(`a${n}`);
  return { ip, ipPrefix, userAgent, uaHash };
}

/** A non-negative integer field, or undefined when absent or malformed. */
export function int(raw: unknown): number | undefined {
  if (typeof raw !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Decode HGETALL output. Returns the session, or a string saying what is wrong. */
export function decodeSession(flat: readonly unknown[]): StoredSession | string {
  const meta = new Map<string, string>();
  const data: Record<string, string> = Object.create(null);
  for (let n = 0; n + 1 < flat.length; n += 2) {
    const field = flat[n];
    const value = flat[n + 1];
    if (typeof field !== 'string' || typeof value !== 'string') return 'non-string field';
    if (field.startsWith(DATA_PREFIX)) data[field.slice(DATA_PREFIX.length)] = value;
    else meta.set(field, value);
  }
  if (meta.get('v') !== '1') return `unknown record version ${JSON.stringify(meta.get('v') ?? null)}`;
  const handle = meta.get('h');
  const createdAt = int(meta.get('c'));
  const lastSeenAt = int(meta.get('l'));
  const idleTimeoutMs = int(meta.get('i'));
  const absoluteExpiresAt = int(meta.get('x'));
  const userId = meta.get('u') ?? null;
  const rawAuth = meta.get('t');
  const authenticatedAt = rawAuth === undefined ? null : int(rawAuth);
  const client = decodeClient(meta);
  if (
    !handle ||
    createdAt === undefined ||
    lastSeenAt === undefined ||
    idleTimeoutMs === undefined ||
    absoluteExpiresAt === undefined ||
    authenticatedAt === undefined ||
    client === undefined
  ) {
    return 'missing or malformed metadata field';
  }
  for (const field of meta.keys()) {
    if (!KNOWN.has(field) && !/^a[0-9]{1,2}$/.test(field)) return `unknown field ${JSON.stringify(field)}`;
  }
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
    data: data as EncodedData,
  };
}

const KNOWN = new Set(['v', 'h', 'u', 'c', 'l', 'i', 'x', 't', 'p', 'q', 'w']);
