// The Redis store's options: what each one means and defaults to, and their validation, once, into what the store runs on.
import {
  type DataLimits,
  resolveDataLimits,
  SessionError,
  type ShardTags,
  shardTags,
} from '@tessera/session-core';
import { type RedisDurability, validateDurability } from './durability.js';
import { type AnyRedisClient, type StoreClient, storeClientOf } from './internal/client.js';
import { validatePrefix } from './internal/keys.js';
import type { NearCacheOptions } from './near-cache-options.js';

export interface RedisStoreOptions {
  /**
   * The Redis client, either package (both are optional peers; install the one you use):
   * an ioredis `Redis` (standalone or Sentinel) or `Cluster`, or a connected node-redis
   * client from `createClient()`, `createCluster()` or `createSentinel()`. The store never
   * closes it. Recommended settings: see the README ("Configuring the client").
   */
  readonly client: AnyRedisClient;
  /**
   * Prepended to every key (after the client's own `keyPrefix`, if any). No `{`, `}` or
   * whitespace: braces would override the hash tag that keeps a user's keys in one slot.
   * @default 'tessera:'
   */
  readonly keyPrefix?: string;
  /**
   * Longest wait for one store call, ms, including waiting for a reconnecting client.
   * Past it the call fails with `SessionError('store_unavailable')` (503 in the adapters).
   * @default 2000
   */
  readonly timeoutMs?: number;
  /**
   * Durable login/logout/revocation: after the rotate (login), destroy (logout) and revoke
   * scripts, send `WAIT replicas timeoutMs` in the same round trip, and throw
   * `store_unavailable` (or call `onShortfall`) when fewer replicas acknowledged. See the
   * README ("Durable login, logout and revocation").
   * @default undefined (no WAIT: a failover may lose the last acknowledged writes)
   */
  readonly durability?: RedisDurability;
  /**
   * Secret for the routing tag in tokens: a user's tag is HMAC-SHA-256(tagSecret, userId)
   * truncated to 4 base36 characters, so a token reveals nothing about its user. At least
   * 32 bytes (a string is taken as UTF-8); keep it like a signing key. Required on Cluster
   * (a user's sessions and index must share a slot). Changing it signs every user out.
   * See the README ("Routing tags").
   * @default undefined (no tag in tokens: standalone and Sentinel only)
   */
  readonly tagSecret?: string | Uint8Array;
  /**
   * Most bytes of data one session may hold (UTF-8 bytes of every key plus its JSON text):
   * create, login and update refuse a record past it with `SessionError('session_too_large')`,
   * the update inside its script, so concurrent writers and other apps on this Redis cannot
   * grow one either. The core's `maxDataBytes` may not be above it. @default 65536 (64 KiB)
   */
  readonly maxDataBytes?: number;
  /** Most top-level data keys one session may hold; past it like `maxDataBytes`. @default 256 */
  readonly maxKeys?: number;
  /**
   * Keep recently read sessions in this process, so a read inside the touch interval makes
   * no round trip; kept correct by Redis' server-assisted invalidation (one connection of the
   * store's own per master, closed by `close()`). `{}` for the defaults. Revocation by
   * another process then takes effect here within `maxStalenessMs` at worst. See the README
   * ("Near cache") and SECURITY.md. ioredis only: refused with a node-redis client.
   * @default undefined (off: every read is one round trip)
   */
  readonly nearCache?: NearCacheOptions;
  /**
   * ioredis (`Redis`, Sentinel, `Cluster`): send the store's commands of one event-loop turn
   * in one socket write per connection (cork the client's socket, on a Cluster every master's,
   * at the first, uncork in `setImmediate`), as node-redis does by default. Same commands,
   * order and connections; a command waits at most until the end of the current turn, and
   * other commands sent on the same client in that turn go in the same write. Cuts Redis' CPU
   * per request (fewer reads and writes on its side) and the app's write system calls. No
   * effect on node-redis (it does this itself). See the README ("Write coalescing").
   * @default true
   */
  readonly coalesceWrites?: boolean;
}

export const REDIS_STORE_DEFAULTS = Object.freeze({ keyPrefix: 'tessera:', timeoutMs: 2000 });

/** The prefix of the store's messages. */
export const WHO = '[tessera] [redis] ';

/** Every option checked and resolved; what RedisStore is built from. */
export interface ResolvedRedisOptions {
  /** The client as given (the near cache needs ioredis' own API). */
  readonly client: AnyRedisClient;
  /** The client behind the store's one interface to either package. */
  readonly store: StoreClient;
  readonly prefix: string;
  /** The client's own keyPrefix: invalidations name keys as the server sees them. */
  readonly clientPrefix: string;
  readonly timeoutMs: number;
  readonly durability: RedisDurability | undefined;
  readonly limits: DataLimits;
  readonly cluster: boolean;
  readonly tags: ShardTags;
}

/** Check every option, in the order the store always checked them; a bad one throws `invalid_config`. */
export function resolveRedisOptions(options: RedisStoreOptions): ResolvedRedisOptions {
  const coalesce = options?.coalesceWrites ?? true;
  if (typeof coalesce !== 'boolean') {
    throw new SessionError(
      'invalid_config',
      `[tessera] [redis] \`coalesceWrites\` must be true or false, got ${JSON.stringify(coalesce)}`,
    );
  }
  const store = storeClientOf(options?.client, coalesce);
  if (store === undefined) {
    throw new SessionError(
      'invalid_config',
      '[tessera] [redis] `client` must be an ioredis Redis or Cluster instance (new Redis(url), new Cluster(nodes)) ' +
        'or a node-redis client (createClient(), createCluster(), createSentinel())',
    );
  }
  if (store === 'bad-prefix')
    throw new SessionError('invalid_config', "[tessera] [redis] the client's `keyPrefix` must be a string");
  // node-redis' keyPrefix is not applied to raw commands, so the store adds it itself.
  const own = validatePrefix(options.keyPrefix ?? REDIS_STORE_DEFAULTS.keyPrefix, '`keyPrefix`');
  const prefix =
    store.ownPrefix === ''
      ? own
      : validatePrefix(store.ownPrefix + own, "the client's `keyPrefix` plus `keyPrefix`");
  const clientPrefix = store.clientPrefix;
  if (clientPrefix !== '') validatePrefix(clientPrefix, "the client's `keyPrefix`");
  if (options.nearCache !== undefined && store.kind !== 'ioredis') {
    throw new SessionError(
      'invalid_config',
      '[tessera] [redis] `nearCache` needs an ioredis client (its invalidation channel is built on ioredis); ' +
        'with node-redis, leave it off',
    );
  }
  const timeoutMs = options.timeoutMs ?? REDIS_STORE_DEFAULTS.timeoutMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new SessionError(
      'invalid_config',
      `[tessera] [redis] \`timeoutMs\` must be a positive number of milliseconds, got ${timeoutMs}`,
    );
  }
  const durability = validateDurability(options.durability);
  if (durability && !store.canWait) {
    throw new SessionError(
      'invalid_config',
      '[tessera] [redis] `durability` needs a client with pipeline() and duplicate(): an ioredis or node-redis client',
    );
  }
  const limits = resolveDataLimits(options, WHO);
  const cluster = store.cluster;
  const tags = shardTags({
    store: 'redis',
    secret: options.tagSecret,
    neededFor: cluster ? 'a Redis Cluster' : undefined,
  });
  return {
    client: options.client,
    store,
    prefix,
    clientPrefix,
    timeoutMs,
    durability,
    limits,
    cluster,
    tags,
  };
}
