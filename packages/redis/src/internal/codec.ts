/**
 * StoredSession <-> hash fields. Short field names keep the hash in Redis' compact
 * listpack encoding; data keys get a `d:` prefix so a delta is HSET/HDEL of just those
 * fields and can never collide with the metadata fields. The version, the three numbers a
 * liveness check needs and the data's size share one field, `m`
 * (`1|lastSeenAt|idleTimeoutMs|absoluteExpiresAt|dataBytes|dataKeys`), written first: the
 * scripts read it with one HGET, a touch rewrites just it, an update keeps the size in it
 * (see scripts.ts). The handle is stored (field h) only when it is not the one the core derives
 * from the id (`handleOf`), which it always is for sessions the core writes.
 */
import {
  ipPrefixOf,
  type SessionPatch,
  type StoredClient,
  type StoredSession,
  sizeOfData,
  validateStored,
} from '@tessera/session-core';

export const DATA_PREFIX = 'd:';

/**
 * Field/value pairs for HSET of the session whose derived handle is `handle`. Absent (null)
 * values are left out rather than stored, and so is a handle equal to the derived one.
 */
export function encodeSession(s: StoredSession, handle: string): string[] {
  const size = sizeOfData(s.data);
  const out = [
    'm',
    `${s.version}|${s.lastSeenAt}|${s.idleTimeoutMs}|${s.absoluteExpiresAt}|${size.bytes}|${size.keys}`,
    'c',
    String(s.createdAt),
  ];
  if (s.handle !== handle) out.push('h', s.handle);
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
  const out = ['p', c.ip, 'w', c.uaHash];
  // The prefix is a function of the ip (as the core derives it): stored only if it is not.
  if (c.ipPrefix !== ipPrefixOf(c.ip)) out.push('q', c.ipPrefix);
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

/** A non-negative integer field, or undefined when absent or malformed (no sign, no leading 0). */
export function int(raw: unknown): number | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 16) return undefined;
  if (raw.length > 1 && raw.charCodeAt(0) === 48) return undefined;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `a0`..`a99`: the user-agent chunks; their index, or -1. */
function chunkIndex(field: string): number {
  if (field.length < 2 || field.length > 3 || field.charCodeAt(0) !== 97) return -1;
  const n = int(field.slice(1));
  return n === undefined ? -1 : n;
}

/**
 * Decode HGETALL output of the session whose derived handle is `handle`: parse the fields' strings,
 * and leave judging the values to the core's `validateStored` (an absent or malformed number
 * reaches it as undefined). Returns the session, or a string saying what is wrong.
 */
export function decodeSession(flat: readonly unknown[], handle: string): StoredSession | string {
  const data: Record<string, string> = Object.create(null);
  let m: string[] | undefined;
  let h: string | undefined;
  let u: string | undefined;
  let c: string | undefined;
  let t: string | undefined;
  let ip: string | undefined;
  let ipPrefix: string | undefined;
  let uaHash: string | undefined;
  let chunks: string[] | undefined;
  for (let n = 0; n + 1 < flat.length; n += 2) {
    const field = flat[n];
    const value = flat[n + 1];
    if (typeof field !== 'string' || typeof value !== 'string') return 'non-string field';
    if (field.startsWith(DATA_PREFIX)) {
      data[field.slice(DATA_PREFIX.length)] = value;
      continue;
    }
    switch (field) {
      case 'm':
        m = value.split('|');
        // The size (parts 4 and 5) is the scripts' business, but one they could not parse
        // would make every update answer "missing": such a record is corrupt, not live.
        if (m.length !== 6 || int(m[4]) === undefined || int(m[5]) === undefined)
          return `malformed field "m"`;
        break;
      case 'h':
        h = value;
        break;
      case 'u':
        u = value;
        break;
      case 'c':
        c = value;
        break;
      case 't':
        t = value;
        break;
      case 'p':
        ip = value;
        break;
      case 'q':
        ipPrefix = value;
        break;
      case 'w':
        uaHash = value;
        break;
      default: {
        const a = chunkIndex(field);
        if (a < 0) return `unknown field ${JSON.stringify(field)}`;
        if (chunks === undefined) chunks = [];
        chunks[a] = value;
      }
    }
  }
  return validateStored({
    version: int(m?.[0]),
    handle: h ?? handle,
    userId: u ?? null,
    createdAt: int(c),
    lastSeenAt: int(m?.[1]),
    idleTimeoutMs: int(m?.[2]),
    absoluteExpiresAt: int(m?.[3]),
    authenticatedAt: t === undefined ? null : int(t),
    client: decodeClient(ip, ipPrefix, uaHash, chunks),
    data,
  });
}

function decodeClient(
  ip: string | undefined,
  ipPrefix: string | undefined,
  uaHash: string | undefined,
  chunks: string[] | undefined,
): StoredClient | null | undefined {
  if (ip === undefined && ipPrefix === undefined && uaHash === undefined) return null;
  if (ip === undefined || uaHash === undefined) return undefined;
  // The chunks in order, stopping at the first gap (as the encoder writes a0, a1, ...).
  let userAgent = '';
  for (let n = 0; chunks !== undefined && n < chunks.length && chunks[n] !== undefined; n++)
    userAgent += chunks[n];
  return { ip, ipPrefix: ipPrefix ?? ipPrefixOf(ip), userAgent, uaHash };
}
