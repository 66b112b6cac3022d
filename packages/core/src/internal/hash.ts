// SHA-256 / HMAC, synchronous. A per-request `crypto.subtle.digest` costs an async hop; so the
// core hashes synchronously: with the runtime's native hash when it exposes one without an
// import (`process.getBuiltinModule('node:crypto')`: Node >= 20.16, Bun, Deno), else with
// @noble/hashes (pure JS, ~5x slower, runs anywhere). Both give identical bytes (tested).
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { utf8 } from './bytes.js';

interface NativeHash {
  update(data: Uint8Array | string): NativeHash;
  digest(): Uint8Array;
}
interface NativeCrypto {
  createHash(algorithm: 'sha256'): NativeHash;
  createHmac(algorithm: 'sha256', key: Uint8Array): NativeHash;
}

function nativeCrypto(): NativeCrypto | undefined {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const mod = proc?.getBuiltinModule?.('node:crypto') as Partial<NativeCrypto> | undefined;
    return typeof mod?.createHash === 'function' && typeof mod.createHmac === 'function'
      ? (mod as NativeCrypto)
      : undefined;
  } catch {
    return undefined;
  }
}

const native = nativeCrypto();

export function nobleSha256Of(data: Uint8Array | string): Uint8Array {
  return nobleSha256(typeof data === 'string' ? utf8(data) : data);
}

export function nobleHmacSha256Of(key: Uint8Array, data: Uint8Array | string): Uint8Array {
  return hmac(nobleSha256, key, typeof data === 'string' ? utf8(data) : data);
}

export const sha256: (data: Uint8Array | string) => Uint8Array = native
  ? (data) => native.createHash('sha256').update(data).digest()
  : nobleSha256Of;

export const hmacSha256: (key: Uint8Array, data: Uint8Array | string) => Uint8Array = native
  ? (key, data) => native.createHmac('sha256', key).update(data).digest()
  : nobleHmacSha256Of;

/** Which implementation is in use (for tests and diagnostics). */
export const hashBackend: 'native' | 'noble' = native ? 'native' : 'noble';
