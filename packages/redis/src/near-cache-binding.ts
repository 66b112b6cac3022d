// How the Redis store uses its near cache: reads inside the touch interval answered from it, every write dropping what it changes.
import type { LoadOptions, LoadResult, SessionKey } from '@tessera/session-core';
import type { Cluster, Redis } from 'ioredis';
import { baseKey } from './internal/keys.js';
import { type NearCache, type NearCacheOptions, openNearCache } from './near-cache.js';

export class StoreNearCache {
  readonly #near: NearCache;
  readonly #close: () => Promise<void>;
  readonly #clientPrefix: string;
  readonly #prefix: string;

  /** `clientPrefix` is the client's own keyPrefix: invalidations name keys as the server sees them. */
  constructor(options: NearCacheOptions, client: Redis | Cluster, clientPrefix: string, prefix: string) {
    const near = openNearCache(options, client, clientPrefix + prefix);
    this.#near = near.cache;
    this.#close = near.close;
    this.#clientPrefix = clientPrefix;
    this.#prefix = prefix;
  }

  /** Closes the cache's own connections. */
  close(): Promise<void> {
    return this.#close();
  }

  /** The session hash's name as the server (and so an invalidation message) spells it. */
  #cacheKey(key: SessionKey): string {
    return `${this.#clientPrefix}${baseKey(this.#prefix, key.tag)}s:${key.id}`;
  }

  /**
   * A write through this store: its keys (and, for `userId`, every session of that user) are
   * dropped before it is sent, so no request here is served the old value while it runs,
   * and again when it settles, so no read that raced it caches what it replaced.
   */
  async changing<T>(keys: readonly SessionKey[], userId: string | null, write: () => Promise<T>): Promise<T> {
    const near = this.#near;
    const drop = () => {
      for (const k of keys) near.invalidate(this.#cacheKey(k));
      if (userId !== null) near.invalidateUser(userId);
    };
    drop();
    try {
      return await write();
    } finally {
      drop();
    }
  }

  /**
   * The cached answer to `load` when no touch is due, else undefined: synchronous, so a hit
   * costs the store no promise and no closure of its own.
   */
  cached(key: SessionKey, options: LoadOptions): LoadResult | undefined {
    const cached = this.#near.get(this.#cacheKey(key));
    // A touch that is due is a write: it goes to Redis, as without the cache. The core
    // checks the idle and absolute deadlines from the cached timestamps, as from any read.
    if (cached !== undefined && options.now - cached.lastSeenAt < options.touchIntervalMs)
      return { status: 'found', session: cached, touched: false };
    return undefined;
  }

  /** A load the cache could not answer: `read` it, and cache its find. */
  async read(key: SessionKey, read: () => Promise<LoadResult>): Promise<LoadResult> {
    const near = this.#near;
    const ticket = near.begin(this.#cacheKey(key));
    let result: LoadResult | undefined;
    try {
      result = await read();
      return result;
    } finally {
      near.end(ticket, result?.status === 'found' ? result.session : undefined);
    }
  }
}
