// Synchronous SHA-256 / HMAC from @noble/hashes: a per-request `crypto.subtle.digest` costs an
// async hop. (Node's native createHash was measured no faster for 43-byte tokens: ~3.1 µs
// either way, so the core keeps one implementation that runs on every runtime.)
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { utf8 } from './bytes.js';

export function sha256(data: Uint8Array | string): Uint8Array {
  return nobleSha256(typeof data === 'string' ? utf8(data) : data);
}

export function hmacSha256(key: Uint8Array, data: Uint8Array | string): Uint8Array {
  return hmac(nobleSha256, key, typeof data === 'string' ? utf8(data) : data);
}
