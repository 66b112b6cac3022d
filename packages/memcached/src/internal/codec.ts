/**
 * What the store writes to memcached: item keys, TTLs, and the JSON of session and index
 * items. Decoding is strict: anything unexpected is `corrupt`, never patched up.
 */
import { createHash } from 'node:crypto';
import { SessionError, type StoredSession, validateStored } from '@tessera/session-core';

/** memcached's own limit is 250 bytes; keys are ASCII here, so characters = bytes. */
export const MAX_KEY_BYTES = 249;
const PRINTABLE = /^[\x21-\x7e]+$/;

/** Throws unless `key` is a legal memcached key: printable ASCII, no spaces, under 250 bytes. */
export function checkKey(key: string): string {
  if (key.length > MAX_KEY_BYTES || !PRINTABLE.test(key)) {
    throw new SessionError(
      'invalid_state',
      `[tessera] [memcached] refusing key of ${key.length} characters: keys must be printable ASCII without spaces, under 250 bytes.`,
    );
  }
  return key;
}

export function sessionItemKey(prefix: string, id: string): string {
  return checkKey(`${prefix}s:${id}`);
}

/** User ids are arbitrary text: the index key uses their SHA-256, the item keeps the id itself. */
export function indexItemKey(prefix: string, userId: string): string {
  return checkKey(`${prefix}u:${createHash('sha256').update(userId).digest('base64url')}`);
}

const THIRTY_DAYS_S = 30 * 24 * 3600;

/**
 * memcached exptime for an absolute deadline. Whole seconds, rounded UP so an item is never
 * dropped before its deadline (it may outlive it by < 1 s; every read re-checks the deadline).
 * Past 30 days memcached reads the number as a Unix time, so such deadlines go as one.
 * Returns 0 when the deadline has passed (callers must not write then: 0 means "never").
 */
export function exptimeOf(deadline: number, now: number): number {
  const ms = deadline - now;
  if (ms <= 0) return 0;
  const s = Math.ceil(ms / 1000);
  return s > THIRTY_DAYS_S ? Math.ceil(deadline / 1000) : s;
}

export function encodeSession(s: StoredSession): Buffer {
  return Buffer.from(JSON.stringify(s), 'utf8');
}

type Decoded<T> = { ok: true; value: T } | { ok: false; detail: string };

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

/** A copy with a null prototype, so a stored key named "__proto__" stays a plain key. */
function dataOf(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = Object.create(null);
  for (const k of Object.keys(value)) out[k] = (value as Record<string, unknown>)[k];
  return out;
}

/** Parse the item's JSON; the core's `validateStored` judges the fields. */ export function decodeSession(
  bytes: Buffer,
): Decoded<StoredSession> {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { ok: false, detail: 'session item is not JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { ok: false, detail: 'not an object' };
  const r = raw as Record<string, unknown>;
  const session = validateStored({
    version: r.version,
    handle: r.handle,
    userId: r.userId,
    createdAt: r.createdAt,
    lastSeenAt: r.lastSeenAt,
    idleTimeoutMs: r.idleTimeoutMs,
    absoluteExpiresAt: r.absoluteExpiresAt,
    authenticatedAt: r.authenticatedAt,
    client: r.client,
    data: dataOf(r.data),
  });
  return typeof session === 'string' ? { ok: false, detail: session } : { ok: true, value: session };
}

/** One entry of a user's index item. `exp` is the absolute deadline (it never moves). */
export interface IndexEntry {
  readonly id: string;
  readonly tag: string;
  readonly handle: string;
  readonly createdAt: number;
  readonly exp: number;
}

export interface IndexItem {
  readonly userId: string;
  readonly entries: readonly IndexEntry[];
}

export function encodeIndex(index: IndexItem): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, u: index.userId, e: index.entries }), 'utf8');
}

/** A corrupt or foreign index item reads as empty: the index is best-effort by design. */
export function decodeIndex(bytes: Buffer | undefined, userId: string): IndexItem {
  const empty = { userId, entries: [] };
  if (!bytes) return empty;
  try {
    const raw = JSON.parse(bytes.toString('utf8')) as { v?: unknown; u?: unknown; e?: unknown };
    if (raw.v !== 1 || raw.u !== userId || !Array.isArray(raw.e)) return empty;
    const entries: IndexEntry[] = [];
    for (const e of raw.e as Record<string, unknown>[]) {
      if (isStr(e.id) && isStr(e.tag) && isStr(e.handle) && isNum(e.createdAt) && isNum(e.exp)) {
        entries.push({ id: e.id, tag: e.tag, handle: e.handle, createdAt: e.createdAt, exp: e.exp });
      }
    }
    return { userId, entries };
  } catch {
    return empty;
  }
}
