// Token surgery for the adversarial cases: a flipped character, the routing tag, unkeyed hashes of a user id.
import { createHash } from 'node:crypto';
import { xxh32, xxh64 } from '@node-rs/xxhash';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The routing tag of a cookie value (see the token grammar in the core's token.ts), or ''. */
export function tagOf(token: string): string {
  const parts = token.split('.');
  return parts.length === 2 || parts.length === 4 ? parts[0]! : '';
}

/**
 * Unkeyed hashes of a user id, in the encodings a tag could be cut from: a tag that is the
 * start or the end of one of these for every user is a plain hash of the id, whoever can
 * read a token can compute it, and a small id space falls to brute force.
 */
export function unkeyedHashesOf(userId: string): [string, string][] {
  const out: [string, string][] = [
    ['the user id itself', userId.toLowerCase()],
    ['xxh32 base36', xxh32(userId).toString(36)],
    ['xxh32 hex', xxh32(userId).toString(16)],
    ['xxh64 base36', xxh64(userId).toString(36)],
    ['xxh64 hex', xxh64(userId).toString(16)],
  ];
  for (const algorithm of ['sha256', 'sha1', 'md5']) {
    const digest = createHash(algorithm).update(userId).digest();
    out.push([`${algorithm} hex`, digest.toString('hex')]);
    out.push([`${algorithm} base36 (32 bits)`, digest.readUInt32BE(0).toString(36)]);
    out.push([`${algorithm} base36 (64 bits)`, digest.readBigUInt64BE(0).toString(36)]);
  }
  return out;
}

/** The same token with one base64url character changed at `index` (a different, canonical value). */
export function flipAt(token: string, index: number): string {
  const c = token[index]!;
  const i = B64.indexOf(c);
  // Toggle a high bit of the sextet, so even the last (partly padding) character changes bytes.
  const next = i === -1 ? 'A' : B64[i ^ 0b100000]!;
  return token.slice(0, index) + next + token.slice(index + 1);
}
