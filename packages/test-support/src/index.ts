export {
  FAIL_FAST_OPTIONS,
  KIT_TAG_SECRET,
  type RedisKit,
  type RedisKitOptions,
  redisContractStore,
  redisKit,
} from './redis-kit.js';
export { findBinary, freePort, isCI, serviceMissing, spawnService, waitFor } from './services/common.js';
export * from './services/memcached.js';
export * from './services/postgres.js';
export * from './services/redis.js';
