// SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), synchronous and on every runtime: a
// per-request `crypto.subtle.digest` costs an async hop, and `node:crypto` is not everywhere.
// Every read hashes its token once (the at-rest key), so this is written for that case: an
// ASCII string goes straight into a reused block buffer (no TextEncoder, no allocation but
// the 32-byte result), and an HMAC key's inner and outer pad blocks are compressed once per
// key and remembered. Checked against node:crypto over random inputs in hash.test.ts.
import { utf8 } from './bytes.js';

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const IV = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const BLOCK = 64;

const W = new Int32Array(64);
/** The padded message of a short input (most calls): up to 119 bytes fit in two blocks. */
const SHORT = new Uint8Array(2 * BLOCK);
const STATE = new Int32Array(8);

function compress(s: Int32Array, m: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++, off += 4)
    W[i] = (m[off]! << 24) | (m[off + 1]! << 16) | (m[off + 2]! << 8) | m[off + 3]!;
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15]!;
    const y = W[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = s[0]!;
  let b = s[1]!;
  let c = s[2]!;
  let d = s[3]!;
  let e = s[4]!;
  let f = s[5]!;
  let g = s[6]!;
  let h = s[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  s[0] = (s[0]! + a) | 0;
  s[1] = (s[1]! + b) | 0;
  s[2] = (s[2]! + c) | 0;
  s[3] = (s[3]! + d) | 0;
  s[4] = (s[4]! + e) | 0;
  s[5] = (s[5]! + f) | 0;
  s[6] = (s[6]! + g) | 0;
  s[7] = (s[7]! + h) | 0;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * Hash `data` starting from `init` (the IV, or an HMAC pad state that already covers
 * `prefixBytes` bytes) into a new 32-byte digest.
 */
function digest(init: Int32Array, prefixBytes: number, data: Uint8Array | string): Uint8Array {
  const bytes = typeof data === 'string' && !isAscii(data) ? utf8(data) : data;
  const n = bytes.length;
  const padded = Math.ceil((n + 9) / BLOCK) * BLOCK;
  const m = padded <= SHORT.length ? SHORT : new Uint8Array(padded);
  if (typeof bytes === 'string') for (let i = 0; i < n; i++) m[i] = bytes.charCodeAt(i);
  else m.set(bytes);
  m[n] = 0x80;
  m.fill(0, n + 1, padded - 8);
  // Length in bits, big-endian, in the last 8 bytes (inputs here stay far below 2^32 bytes).
  const bits = (prefixBytes + n) * 8;
  const view = padded - 8;
  m[view] = 0;
  m[view + 1] = 0;
  m[view + 2] = (bits / 2 ** 40) & 0xff;
  m[view + 3] = (bits / 2 ** 32) & 0xff;
  m[view + 4] = (bits >>> 24) & 0xff;
  m[view + 5] = (bits >>> 16) & 0xff;
  m[view + 6] = (bits >>> 8) & 0xff;
  m[view + 7] = bits & 0xff;
  STATE.set(init);
  for (let off = 0; off < padded; off += BLOCK) compress(STATE, m, off);
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const w = STATE[i]!;
    out[4 * i] = w >>> 24;
    out[4 * i + 1] = (w >>> 16) & 0xff;
    out[4 * i + 2] = (w >>> 8) & 0xff;
    out[4 * i + 3] = w & 0xff;
  }
  return out;
}

export function sha256(data: Uint8Array | string): Uint8Array {
  return digest(IV, 0, data);
}

/** A key's inner and outer states: the IV after one block of key XOR ipad / opad. */
interface PadStates {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

const padStates = new WeakMap<Uint8Array, PadStates>();

function padStatesOf(key: Uint8Array): PadStates {
  let states = padStates.get(key);
  if (states) return states;
  const k = key.length > BLOCK ? sha256(key) : key;
  const block = new Uint8Array(BLOCK);
  const state = (pad: number) => {
    for (let i = 0; i < BLOCK; i++) block[i] = (k[i] ?? 0) ^ pad;
    const s = Int32Array.from(IV);
    compress(s, block, 0);
    return s;
  };
  states = { inner: state(0x36), outer: state(0x5c) };
  padStates.set(key, states);
  return states;
}

export function hmacSha256(key: Uint8Array, data: Uint8Array | string): Uint8Array {
  const { inner, outer } = padStatesOf(key);
  return digest(outer, BLOCK, digest(inner, BLOCK, data));
}
