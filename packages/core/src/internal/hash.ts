// SHA-256 and HMAC-SHA-256 from @noble/hashes: audited, synchronous, on every runtime (a
// per-request `crypto.subtle.digest` costs an async hop, and `node:crypto` is not everywhere).
// Every read hashes its token once (the at-rest key), so the hot path avoids allocation: a
// pristine hash state (or an HMAC key's inner and outer pad states, computed once per key) is
// copied into one reused working object per call (JavaScript is single-threaded and a digest
// never yields, so the reuse cannot interleave). Checked against node:crypto in hash.test.ts.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { toBase64Url, utf8 } from './bytes.js';

type Sha256 = ReturnType<typeof nobleSha256.create>;
type Hmac = ReturnType<typeof hmac.create>;

const bytesOf = (data: Uint8Array | string): Uint8Array => (typeof data === 'string' ? utf8(data) : data);

const PRISTINE: Sha256 = nobleSha256.create();
const work: Sha256 = nobleSha256.create();

export function sha256(data: Uint8Array | string): Uint8Array {
  PRISTINE._cloneInto(work);
  work.update(bytesOf(data));
  return work.digest();
}

type OneShotHash = (algorithm: 'sha256', data: string, encoding: 'base64url') => string;

/**
 * Node's one-shot `crypto.hash` (Node >= 20.12), reached without importing `node:crypto`
 * (`process.getBuiltinModule`, Node >= 20.16; Bun and Deno have it too), so the core still
 * loads where neither exists. For the at-rest key every read computes it is ~8x cheaper than
 * the JavaScript SHA-256 (~0.25 vs ~2 µs for a 43-character token), and takes the string
 * without a TextEncoder pass. Anywhere it is missing, or answers something other than a
 * string, the JavaScript hash is used: the two are checked equal in hash.test.ts.
 */
const nativeHash: OneShotHash | undefined = (() => {
  try {
    const host = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
    const crypto = host.process?.getBuiltinModule?.('node:crypto') as { hash?: unknown } | undefined;
    const hash = crypto?.hash;
    if (typeof hash !== 'function') return undefined;
    // One known answer, so a look-alike with other semantics is never used.
    const probe = (hash as OneShotHash)('sha256', 'abc', 'base64url');
    return probe === 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0' ? (hash as OneShotHash) : undefined;
  } catch {
    return undefined;
  }
})();

/** SHA-256 of a string's UTF-8 bytes, as base64url without padding. */
export function sha256Base64Url(text: string): string {
  return nativeHash ? nativeHash('sha256', text, 'base64url') : toBase64Url(sha256(text));
}

/** Only for tests: the JavaScript path even where the native one exists. */
export function sha256Base64UrlPortable(text: string): string {
  return toBase64Url(sha256(text));
}

export const usesNativeSha256 = nativeHash !== undefined;

// Keyed by the key's array: the codec keeps its own copy of every secret for its lifetime.
const keyed = new WeakMap<Uint8Array, { readonly base: Hmac; readonly work: Hmac }>();

export function hmacSha256(key: Uint8Array, data: Uint8Array | string): Uint8Array {
  let states = keyed.get(key);
  if (states === undefined) {
    states = { base: hmac.create(nobleSha256, key), work: hmac.create(nobleSha256, key) };
    keyed.set(key, states);
  }
  states.base._cloneInto(states.work);
  states.work.update(bytesOf(data));
  return states.work.digest();
}
