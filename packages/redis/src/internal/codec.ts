/**
 * StoredSession <-> hash fields. Short field names keep the hash in Redis' compact
 * listpack encoding; data keys get a `d:` prefix so a delta is HSET/HDEL of just those
 * fields and can never collide with the metadata fields. The version, the three numbers a
 * liveness check needs and the data's size share one field, `m`
 * (`1|lastSeenAt|idleTimeoutMs|absoluteExpiresAt|dataBytes|dataKeys`), written first: the
 * scripts read it with one HGET, a touch rewrites just it, an update keeps the size in it
 * (see scripts.ts). `c` is `createdAt`, or `createdAt|authenticatedAt` for a signed-in session.
 * What the core derives is stored only when it is not what the core would derive, which for the
 * sessions the core writes it never is: the handle (field h; the core's `handleOf` of the id),
 * the IP prefix (q; `ipPrefixOf(ip)`) and the user agent's hash (w; `shortHash(userAgent)`).
 * Each field is a string the client decodes on every read (ioredis 6: ~0.3 µs each) and ~10-20
 * bytes of Redis memory per session.
 */
import {
  ipPrefixOf,
  type SessionPatch,
  type StoredClient,
  type StoredSession,
  shortHash,
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
    s.authenticatedAt === null ? String(s.createdAt) : `${s.createdAt}|${s.authenticatedAt}`,
  ];
  if (s.handle !== handle) out.push('h', s.handle);
  if (s.userId !== null) out.push('u', s.userId);
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
  const out = ['p', c.ip];
  // The prefix and the hash are functions of the ip and the user agent (as the core derives
  // them): stored only if they are not.
  if (c.ipPrefix !== ipPrefixOf(c.ip)) out.push('q', c.ipPrefix);
  if (c.uaHash !== uaHashOf(c.userAgent)) out.push('w', c.uaHash);
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
  return typeof raw === 'string' ? intAt(raw, 0, raw.length) : undefined;
}

/**
 * `text[from, to)` as `int` reads it: 1-16 ASCII digits, no leading 0, a safe integer. The
 * digits are summed as they are checked (exact below 2^53), without a substring or `Number()`:
 * a read decodes eight of these.
 */
function intAt(text: string, from: number, to: number): number | undefined {
  const length = to - from;
  if (length === 0 || length > 16 || (length > 1 && text.charCodeAt(from) === 48)) return undefined;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    n = n * 10 + (c - 48);
  }
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Field `m`'s six numbers (each as `int` reads it), or undefined when it has not six parts. */
export function metaOf(m: string): (number | undefined)[] | undefined {
  const out: (number | undefined)[] = [];
  let from = 0;
  for (let i = 0; i <= m.length; i++) {
    if (i < m.length && m.charCodeAt(i) !== 124 /* | */) continue;
    if (out.length === 6) return undefined;
    out.push(intAt(m, from, i));
    from = i + 1;
  }
  return out.length === 6 ? out : undefined;
}

/** `a0`..`a99`: the user-agent chunks; their index, or -1. */
function chunkIndex(field: string): number {
  if (field.length < 2 || field.length > 3 || field.charCodeAt(0) !== 97) return -1;
  const n = intAt(field, 1, field.length);
  return n === undefined ? -1 : n;
}

/**
 * Decode HGETALL output of the session whose derived handle is `handle`: parse the fields' strings,
 * and leave judging the values to the core's `validateStored` (an absent or malformed number
 * reaches it as undefined). Returns the session, or a string saying what is wrong.
 */
export function decodeSession(flat: readonly unknown[], handle: string): StoredSession | string {
  const data: Record<string, string> = Object.create(null);
  let m: (number | undefined)[] | undefined;
  let h: string | undefined;
  let u: string | undefined;
  let c: string | undefined;
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
        m = metaOf(value);
        // The size (parts 4 and 5) is the scripts' business, but one they could not parse
        // would make every update answer "missing": such a record is corrupt, not live.
        if (m === undefined || m[4] === undefined || m[5] === undefined) return `malformed field "m"`;
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
  // c: createdAt, then `|authenticatedAt` when signed in.
  const bar = c === undefined ? -1 : c.indexOf('|');
  return validateStored({
    version: m?.[0],
    handle: h ?? handle,
    userId: u ?? null,
    createdAt: c === undefined ? undefined : intAt(c, 0, bar < 0 ? c.length : bar),
    lastSeenAt: m?.[1],
    idleTimeoutMs: m?.[2],
    absoluteExpiresAt: m?.[3],
    authenticatedAt: c === undefined || bar < 0 ? null : intAt(c, bar + 1, c.length),
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
  // No client is no p, and nothing else of one either.
  if (ip === undefined)
    return ipPrefix === undefined && uaHash === undefined && chunks === undefined ? null : undefined;
  // The chunks in order, stopping at the first gap (as the encoder writes a0, a1, ...).
  let userAgent = '';
  for (let n = 0; chunks !== undefined && n < chunks.length && chunks[n] !== undefined; n++)
    userAgent += chunks[n];
  return { ip, ipPrefix: ipPrefix ?? ipPrefixOf(ip), userAgent, uaHash: uaHash ?? uaHashOf(userAgent) };
}

/**
 * The core's hash of a user agent (`shortHash`, a SHA-256), remembered for the last 256
 * distinct user agents: a read derives it for every session it decodes, and a server sees few
 * distinct agents. Bounded: when full it starts again empty.
 */
const uaHashes = new Map<string, string>();

function uaHashOf(userAgent: string): string {
  let hash = uaHashes.get(userAgent);
  if (hash === undefined) {
    if (uaHashes.size >= 256) uaHashes.clear();
    hash = shortHash(userAgent);
    uaHashes.set(userAgent, hash);
  }
  return hash;
}
