export type { DurabilityShortfall, RedisDurability } from './durability.js';
export { REDIS_STORE_DEFAULTS, type RedisStoreOptions, redisStore } from './redis-store.js';
