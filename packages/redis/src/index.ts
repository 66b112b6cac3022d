export { type ConnectRedisSourceOptions, connectRedisSource } from './connect-redis-source.js';
export type { DurabilityShortfall, RedisDurability } from './durability.js';
export type { AnyRedisClient, NodeRedisClient } from './internal/client.js';
export { NEAR_CACHE_DEFAULTS, type NearCacheOptions } from './near-cache-options.js';
export { REDIS_STORE_DEFAULTS, type RedisStoreOptions, redisStore } from './redis-store.js';
