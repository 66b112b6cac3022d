export { MemcachedStore, type MemcachedStoreOptions, memcachedStore } from './memcached-store.js';
export {
  MemcachedMetaClient,
  type MemcachedMetaClientOptions,
  type MetaCommand,
  type MetaResponse,
} from './meta-client.js';
