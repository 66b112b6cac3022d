/**
 * Validation of what stores return, and encoding of what handlers write. A record that does
 * not validate is corrupt: treated as absent, reported and deleted, never decoded by a
 * fallback. Prototype-looking keys (`__proto__`, `constructor`, `prototype`) are refused
 * on write and make a stored record corrupt on read, at any depth.
 */
import { SessionError } from './errors.js';
import type { StoredClient, StoredSession } from './store.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key);
}

/**
 * JSON text of a value. Throws `SessionError('invalid_data')` (HTTP 400 in the adapters) for
 * what cannot be stored: keys and values often come from requests, so this is bad input, not
 * a crash.
 */
export function encodeValue(key: string, value: unknown): string {
  if (FORBIDDEN_KEYS.has(key)) throw new SessionError('invalid_data', `session key "${key}" is not allowed.`);
  const text = JSON.stringify(value, (k, v) => {
    if (FORBIDDEN_KEYS.has(k))
      throw new SessionError('invalid_data', `session value for "${key}" contains a "${k}" key.`);
    if (typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol') {
      throw new SessionError(
        'invalid_data',
        `session value for "${key}" is not JSON-serialisable (${typeof v}).`,
      );
    }
    return v;
  });
  if (text === undefined)
    throw new SessionError('invalid_data', `session value for "${key}" is undefined; use delete().`);
  return text;
}

class CorruptError extends Error {}

function reviver(k: string, v: unknown): unknown {
  if (FORBIDDEN_KEYS.has(k)) throw new CorruptError(`prototype key "${k}"`);
  return v;
}

/**
 * JSON text that cannot hold a prototype-looking key: no escape (a key spelled with `\u`
 * escapes decodes to the same name) and none of the words. Such text skips the reviver,
 * which is most of the cost of decoding.
 */
const SUSPECT_RE = /\\|__proto__|constructor|prototype/;

function parseValue(text: string): unknown {
  return SUSPECT_RE.test(text) ? JSON.parse(text, reviver) : JSON.parse(text);
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function checkClient(c: unknown): c is StoredClient | null {
  if (c === null) return true;
  if (typeof c !== 'object' || c === undefined) return false;
  const o = c as Record<string, unknown>;
  return (
    typeof o.ip === 'string' &&
    typeof o.ipPrefix === 'string' &&
    typeof o.userAgent === 'string' &&
    typeof o.uaHash === 'string'
  );
}

export type DecodedRecord =
  | { readonly ok: true; readonly data: Map<string, unknown> }
  | { readonly ok: false; readonly detail: string };

/** Validate a stored session's metadata and decode its data into a Map. Never throws. */
export function decodeStored(s: StoredSession): DecodedRecord {
  try {
    if (s === null || typeof s !== 'object') return { ok: false, detail: 'not an object' };
    if (s.version !== 1) return { ok: false, detail: `unknown version ${String(s.version)}` };
    if (typeof s.handle !== 'string' || s.handle.length === 0) return { ok: false, detail: 'bad handle' };
    if (s.userId !== null && (typeof s.userId !== 'string' || s.userId.length === 0))
      return { ok: false, detail: 'bad userId' };
    if (!isFiniteNumber(s.createdAt)) return { ok: false, detail: 'bad createdAt' };
    if (!isFiniteNumber(s.lastSeenAt)) return { ok: false, detail: 'bad lastSeenAt' };
    if (!isFiniteNumber(s.idleTimeoutMs)) return { ok: false, detail: 'bad idleTimeoutMs' };
    if (!isFiniteNumber(s.absoluteExpiresAt)) return { ok: false, detail: 'bad absoluteExpiresAt' };
    if (s.authenticatedAt !== null && !isFiniteNumber(s.authenticatedAt))
      return { ok: false, detail: 'bad authenticatedAt' };
    if (!checkClient(s.client)) return { ok: false, detail: 'bad client' };
    if (s.data === null || typeof s.data !== 'object') return { ok: false, detail: 'bad data' };
    const data = new Map<string, unknown>();
    for (const key of Object.keys(s.data)) {
      if (FORBIDDEN_KEYS.has(key)) return { ok: false, detail: `prototype key "${key}"` };
      const text = s.data[key];
      if (typeof text !== 'string') return { ok: false, detail: `data "${key}" is not JSON text` };
      data.set(key, parseValue(text));
    }
    return { ok: true, data };
  } catch (error) {
    return { ok: false, detail: error instanceof CorruptError ? error.message : 'bad JSON' };
  }
}
