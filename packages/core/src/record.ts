/**
 * Validation of what stores return, and encoding of what handlers write: JSON only, exactly
 * (see `encodeValue`). A record that does not validate is corrupt: treated as absent, reported
 * and deleted, never decoded by a fallback. Prototype-looking keys (`__proto__`, `constructor`,
 * `prototype`) are refused on write and make a stored record corrupt on read, at any depth.
 */
import { isSessionError, SessionError } from './errors.js';
import type { StoredClient, StoredSession } from './store.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key);
}

/** Deepest nesting of arrays and objects a value may have (`[[1]]` is 2). */
export const MAX_DEPTH = 64;

function refuse(key: string, why: string): never {
  throw new SessionError('invalid_data', `session value for "${key}" ${why}`);
}

/** What a refused value is, for the message: `a Date`, `a Map`, `a Cart` (its constructor). */
function kindOf(v: object): string {
  const name = (Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object with a prototype';
}

/**
 * The strict walk: only what JSON holds exactly, so `get()` answers what `set()` was given.
 * Plain objects (prototype `Object.prototype` or null) and arrays, strings, finite numbers,
 * booleans, null; an object property that is `undefined` is left out, as JSON does. `budget`
 * counts down a lower bound of the text's UTF-8 length, so an oversized value is refused
 * after reading about `budget` of it, not all of it.
 */
class Walk {
  budget: number;
  readonly #key: string;
  readonly #path: object[] = [];

  constructor(key: string, budget: number) {
    this.#key = key;
    this.budget = budget;
  }

  value(v: unknown): void {
    switch (typeof v) {
      case 'string':
        this.budget -= v.length + 2;
        break;
      case 'number':
        if (!Number.isFinite(v))
          refuse(this.#key, `holds ${v}, which JSON cannot (it would read back as null).`);
        this.budget -= 1;
        break;
      case 'boolean':
        this.budget -= 4;
        break;
      case 'object':
        if (v === null) this.budget -= 4;
        else this.#container(v);
        break;
      case 'undefined':
        refuse(this.#key, 'holds undefined in an array (JSON would read it back as null).');
        break;
      default:
        refuse(this.#key, `holds a ${typeof v}, which JSON cannot.`);
    }
    if (this.budget < 0) throw new BudgetSpent();
  }

  #container(v: object): void {
    const path = this.#path;
    if (path.length >= MAX_DEPTH) refuse(this.#key, `is nested deeper than ${MAX_DEPTH} levels.`);
    if (path.includes(v)) refuse(this.#key, 'contains a cycle.');
    const proto = Object.getPrototypeOf(v);
    path.push(v);
    this.budget -= 2;
    if (Array.isArray(v)) {
      // Not a subclass: its prototype could add a toJSON that JSON.stringify would call.
      if (proto !== Array.prototype) refuse(this.#key, `holds ${kindOf(v)}; use a plain array.`);
      for (let i = 0; i < v.length; i++) this.value(v[i]);
    } else {
      // Date, Map, Set, RegExp, class instances: JSON turns them into something else, or `{}`.
      if (proto !== Object.prototype && proto !== null)
        refuse(this.#key, `holds ${kindOf(v)}; store plain objects, arrays and primitives.`);
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        if (FORBIDDEN_KEYS.has(k)) refuse(this.#key, `contains a "${k}" key.`);
        const item = o[k];
        if (item === undefined) continue;
        this.budget -= k.length + 3;
        this.value(item);
      }
    }
    path.pop();
  }
}

class BudgetSpent extends Error {}

/**
 * JSON text of a value. Throws `SessionError('invalid_data')` (HTTP 400 in the adapters) for
 * what JSON cannot hold exactly: keys and values often come from requests, so this is bad
 * input, never a crash (a cycle, deep nesting or a throwing getter included). With
 * `maxBytes`, a value whose text is certainly longer is refused with `session_too_large`
 * before all of it is read (the caller checks the exact size).
 */
export function encodeValue(key: string, value: unknown, maxBytes = Number.POSITIVE_INFINITY): string {
  if (FORBIDDEN_KEYS.has(key)) throw new SessionError('invalid_data', `session key "${key}" is not allowed.`);
  if (value === undefined)
    throw new SessionError('invalid_data', `session value for "${key}" is undefined; use delete().`);
  try {
    new Walk(key, maxBytes).value(value);
    const text = JSON.stringify(value);
    // A getter may answer differently the second time: check what was written, not what was walked.
    if (SUSPECT_RE.test(text)) JSON.parse(text, reviver);
    return text;
  } catch (error) {
    if (isSessionError(error)) throw error;
    if (error instanceof CorruptError)
      throw new SessionError('invalid_data', `session value for "${key}" contains a ${error.message}.`);
    if (error instanceof BudgetSpent) {
      throw new SessionError(
        'session_too_large',
        `session value for "${key}" is larger than the ${maxBytes} bytes the session has left (maxDataBytes).`,
      );
    }
    throw new SessionError('invalid_data', `session value for "${key}" cannot be read as JSON.`, {
      cause: error,
    });
  }
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
  if (typeof c !== 'object') return false;
  const o = c as Record<string, unknown>;
  return (
    typeof o.ip === 'string' &&
    typeof o.ipPrefix === 'string' &&
    typeof o.userAgent === 'string' &&
    typeof o.uaHash === 'string'
  );
}

/** A record as a store read it, each field as the store keeps it, not yet validated. */
export type RawStoredSession = { readonly [K in keyof StoredSession]: unknown };

/** What is wrong with a record's fields (metadata, and data as an object of texts), or null. */
function problemOf(s: RawStoredSession): string | null {
  if (s === null || typeof s !== 'object') return 'not an object';
  if (s.version !== 1) return `unknown version ${String(s.version)}`;
  if (typeof s.handle !== 'string' || s.handle.length === 0) return 'bad handle';
  if (s.userId !== null && (typeof s.userId !== 'string' || s.userId.length === 0)) return 'bad userId';
  if (!isFiniteNumber(s.createdAt)) return 'bad createdAt';
  if (!isFiniteNumber(s.lastSeenAt)) return 'bad lastSeenAt';
  if (!isFiniteNumber(s.idleTimeoutMs) || s.idleTimeoutMs < 0) return 'bad idleTimeoutMs';
  if (!isFiniteNumber(s.absoluteExpiresAt)) return 'bad absoluteExpiresAt';
  if (s.authenticatedAt !== null && !isFiniteNumber(s.authenticatedAt)) return 'bad authenticatedAt';
  if (!checkClient(s.client)) return 'bad client';
  if (s.data === null || typeof s.data !== 'object' || Array.isArray(s.data)) return 'bad data';
  const data = s.data as Record<string, unknown>;
  for (const key of Object.keys(data))
    if (typeof data[key] !== 'string') return `data "${key}" is not JSON text`;
  return null;
}

/**
 * The one validation of a record's fields, for stores: each maps its raw fields (hash
 * fields, columns, JSON) to a `RawStoredSession` and gets back the typed record, or what is
 * wrong with it (a `corrupt` load's detail). Stores need it before the core sees the record:
 * they compute expiry and touches from these fields, and list them. Never throws. The data
 * texts are not parsed here (`decodeStored` does, once per request).
 */
export function validateStored(raw: RawStoredSession): StoredSession | string {
  try {
    return problemOf(raw) ?? (raw as StoredSession);
  } catch {
    return 'unreadable record';
  }
}

export type DecodedRecord =
  | { readonly ok: true; readonly data: Map<string, unknown> }
  | { readonly ok: false; readonly detail: string };

/** Validate a stored session (as `validateStored`) and decode its data into a Map. Never throws. */
export function decodeStored(s: StoredSession): DecodedRecord {
  try {
    const problem = problemOf(s);
    if (problem !== null) return { ok: false, detail: problem };
    const data = new Map<string, unknown>();
    for (const key of Object.keys(s.data)) {
      if (FORBIDDEN_KEYS.has(key)) return { ok: false, detail: `prototype key "${key}"` };
      data.set(key, parseValue(s.data[key]!));
    }
    return { ok: true, data };
  } catch (error) {
    return { ok: false, detail: error instanceof CorruptError ? error.message : 'bad JSON' };
  }
}
