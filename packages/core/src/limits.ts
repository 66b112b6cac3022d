/**
 * How big one session's data may grow. One definition of "size", shared by the core (`set()`
 * and commit) and every store's write path, so they agree to the byte: the UTF-8 bytes of each
 * top-level key plus the UTF-8 bytes of its JSON text, summed over the keys. That is what a
 * store holds and what every read parses, whatever its own overhead per key.
 */
import { SessionError } from './errors.js';
import type { EncodedData } from './store.js';

export interface DataLimits {
  /** Most bytes of data per session: UTF-8 bytes of every key plus its JSON text. @default 65536 (64 KiB) */
  readonly maxDataBytes: number;
  /** Most top-level keys per session. @default 256 */
  readonly maxKeys: number;
}

export const DEFAULT_DATA_LIMITS: DataLimits = Object.freeze({ maxDataBytes: 64 * 1024, maxKeys: 256 });

/** A record's data size in the units of `DataLimits`. */
export interface DataSize {
  bytes: number;
  keys: number;
}

// Node's byte count is native; the loop below is for runtimes without Buffer (the core runs anywhere).
const nodeBuffer = (globalThis as { Buffer?: { byteLength(text: string, encoding: 'utf8'): number } }).Buffer;

/** UTF-8 length of `text` (a lone surrogate counts as the 3 bytes of U+FFFD, as every encoder writes it). */
export function utf8Length(text: string): number {
  if (nodeBuffer) return nodeBuffer.byteLength(text, 'utf8');
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c < 0xdc00 && c >= 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: 2 units, 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}

/** Bytes one key adds to a record. */
export function entryBytes(key: string, text: string): number {
  return utf8Length(key) + utf8Length(text);
}

/** Size of encoded data (a record's `data`, or a store's merged result). */
export function sizeOfData(data: EncodedData): DataSize {
  let bytes = 0;
  let keys = 0;
  for (const key of Object.keys(data)) {
    bytes += entryBytes(key, data[key]!);
    keys++;
  }
  return { bytes, keys };
}

export function exceeds(size: DataSize, limits: DataLimits): boolean {
  return size.bytes > limits.maxDataBytes || size.keys > limits.maxKeys;
}

/** The refusal: HTTP 413 `{ error: 'session_too_large' }` in the adapters. `who` prefixes a store's name. */
export function tooLarge(size: DataSize, limits: DataLimits, who = ''): SessionError {
  return new SessionError(
    'session_too_large',
    `${who}session data would be ${size.bytes} bytes in ${size.keys} keys, over the limit of ` +
      `${limits.maxDataBytes} bytes (maxDataBytes) and ${limits.maxKeys} keys (maxKeys); nothing was written.`,
  );
}

/** For stores: throw `session_too_large` when a record they are about to write is over `limits`. */
export function checkDataLimits(data: EncodedData, limits: DataLimits, who = ''): void {
  const size = sizeOfData(data);
  if (exceeds(size, limits)) throw tooLarge(size, limits, who);
}

/**
 * Validate limits given as options (the policy's, a store's): whole numbers from 1, finite.
 * `who` prefixes messages (`[tessera] [redis] `). Throws `SessionError('invalid_config')`.
 */
export function resolveDataLimits(options: Partial<DataLimits> | undefined, who = ''): DataLimits {
  const out: Record<keyof DataLimits, number> = { ...DEFAULT_DATA_LIMITS };
  for (const name of ['maxDataBytes', 'maxKeys'] as const) {
    const value = options?.[name] ?? DEFAULT_DATA_LIMITS[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new SessionError(
        'invalid_config',
        `${who}${name} must be a whole number from 1 (a session's data is always bounded), got ${String(value)}.`,
      );
    }
    out[name] = value;
  }
  return Object.freeze(out);
}
