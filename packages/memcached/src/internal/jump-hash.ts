/**
 * Jump consistent hash (Lamping & Veach, 2014) over xxh64. Growing the server list from N to
 * N+1 moves only ~1/(N+1) of the keys, all of them to the new server; it needs no ring and no
 * virtual nodes. Servers can only be added or removed at the END of the list without
 * reshuffling: that is the price of its evenness and zero memory.
 */
import { xxh64 } from '@node-rs/xxhash';

const MASK = (1n << 64n) - 1n;
const LCG = 2862933555777941757n;

/** The bucket in [0, buckets) for a 64-bit key. */
export function jumpHash(key: bigint, buckets: number): number {
  let k = key & MASK;
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    k = (k * LCG + 1n) & MASK;
    j = Math.floor((b + 1) * (2 ** 31 / (Number(k >> 33n) + 1)));
  }
  return b;
}

/** The server index for a routing string (a shard tag or a session id). */
export function serverFor(routing: string, servers: number): number {
  return servers === 1 ? 0 : jumpHash(xxh64(routing), servers);
}
