// SHA-256 and HMAC-SHA-256 from @noble/hashes: audited, synchronous, on every runtime (a
// per-request `crypto.subtle.digest` costs an async hop, and `node:crypto` is not everywhere).
// Every read hashes its token once (the at-rest key), so the hot path avoids allocation: a
// pristine hash state (or an HMAC key's inner and outer pad states, computed once per key) is
// copied into one reused working object per call (JavaScript is single-threaded and a digest
// never yields, so the reuse cannot interleave). Checked against node:crypto in hash.test.ts.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { utf8 } from './bytes.js';

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
