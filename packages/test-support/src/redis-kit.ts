/**
 * The Redis backend for the conformance kit's adapter and adversarial suites, for this
 * repository's own tests (it spawns servers, so it stays out of the published kit). One place
 * knows how a test connects (fail fast, never queue) and how to write a record the store must
 * refuse (its own key layout), so adapter packages and apps do not each repeat it.
 */
import type { SessionKey, SessionStore } from '@tessera/session-core';
import { redisStore } from '@tessera/session-redis';
import type { ContractStore } from '@tessera/session-testing';
import { Redis, type RedisOptions } from 'ioredis';
import { serviceMissing } from './services/common.js';
import { type RedisServer, redisAvailable, startRedis } from './services/redis.js';

/** The client settings the README recommends: fail fast, never queue while Redis is away. */
export const FAIL_FAST_OPTIONS: Readonly<RedisOptions> = Object.freeze({
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 1000,
  retryStrategy: (times: number) => Math.min(times * 50, 500),
});

export interface RedisKit {
  /** A throwaway redis-server per suite (skipped loudly without one; a failure under CI=true). */
  readonly store: ContractStore;
  /** Write a record under `key` in the store's own layout that its decoder must refuse. */
  corrupt(key: SessionKey): Promise<void>;
}

/** The kit's default `tagSecret`: a fixed TEST value, so suites see tagged tokens as on Cluster. */
export const KIT_TAG_SECRET = 'tessera-redis-kit-tag-secret-for-tests-only';

export interface RedisKitOptions {
  /** @default 'kit:' */
  readonly keyPrefix?: string;
  /**
   * The store's `tagSecret`; `null` for none (untagged tokens, standalone only).
   * @default KIT_TAG_SECRET (a published test value: never use it outside tests)
   */
  readonly tagSecret?: string | Uint8Array | null;
}

export function redisKit(options: RedisKitOptions = {}): RedisKit {
  const keyPrefix = options.keyPrefix ?? 'kit:';
  const tagSecret = options.tagSecret === undefined ? KIT_TAG_SECRET : options.tagSecret;
  let client: Redis | undefined;
  return {
    store: redisContractStore((url) => {
      client = new Redis(url, FAIL_FAST_OPTIONS);
      const c = client;
      const store = redisStore({ client: c, keyPrefix, ...(tagSecret === null ? {} : { tagSecret }) });
      return { store, close: () => c.quit() };
    }),
    async corrupt(key) {
      if (!client)
        throw new Error('[tessera] [redis] redisKit.corrupt() before the suite started its server');
      // The store's record key (`<prefix>{<tag>}s:<id>`, packages/redis/src/internal/keys.ts),
      // spelled out here because the layout is not public API; the adapters' corrupt-record
      // cases fail if the two ever disagree (the store would find no record, and report no corrupt one).
      await client.hset(`${keyPrefix}{${key.tag}}s:${key.id}`, { v: '9', garbage: '\u0000' });
    },
  };
}

/**
 * A `ContractStore` on a throwaway `redis-server` per suite, skipped loudly without one (a
 * failure under CI=true); `connect` builds the store on the server's URL.
 */
export function redisContractStore(
  connect: (url: string) => { store: SessionStore; close(): unknown },
): ContractStore {
  const skip = !redisAvailable() && serviceMissing('redis-server', 'install redis-server (Redis 7) on PATH');
  let server: RedisServer | undefined;
  let conn: { store: SessionStore; close(): unknown } | undefined;
  return {
    name: 'redis',
    skip,
    async make() {
      server = await startRedis();
      conn = connect(server.url);
      return conn.store;
    },
    async teardown() {
      await conn?.close();
      await server?.stop();
    },
  };
}
