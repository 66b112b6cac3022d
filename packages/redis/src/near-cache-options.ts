// The near cache's options, apart from the cache itself: the store's public types must not need ioredis' types.
export interface NearCacheOptions {
  /**
   * Most sessions kept; past it the least recently used entry goes (to within half the
   * cache: a hit moves its entry up only once `maxEntries / 2` others went in after it).
   * @default 10000
   */
  readonly maxEntries?: number;
  /**
   * An entry is never served later than this after its read was sent to Redis, whatever the
   * invalidation channel says: the worst-case window in which a session revoked by another
   * process can still be accepted here. See SECURITY.md. At most 60000.
   * @default 1000
   */
  readonly maxStalenessMs?: number;
}

export const NEAR_CACHE_DEFAULTS = Object.freeze({ maxEntries: 10_000, maxStalenessMs: 1000 });
