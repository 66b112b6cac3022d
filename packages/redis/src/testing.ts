/**
 * `@tessera/session-redis/testing`: the Redis backend for the conformance kit's adapter and
 * adversarial suites. One place knows how a test connects (fail fast, never queue) and how to
 * write a record the store must refuse (its own key layout), so adapter packages and apps do
 * not each repeat it. Needs `@tessera/session-testing` and `ioredis` (dev dependencies).
 */
import type { SessionKey } from '@tessera/session-core';
import { type ContractStore, redisContractStore } from '@tessera/session-testing';
import { Redis, type RedisOptions } from 'ioredis';
import { baseKey } from './internal/keys.js';
import { redisStore } from './redis-store.js';

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
      await client.hset(`${baseKey(keyPrefix, key.tag)}s:${key.id}`, { v: '9', garbage: '\u0000' });
    },
  };
}
