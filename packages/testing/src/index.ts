export { type InstrumentedStore, instrumentStore, type StoreOperation } from '@tessera/session-core';
export {
  type AdapterContractOptions,
  type ContractStore,
  describeAdapterContract,
  redisContractStore,
  type TestServer,
} from './adapter-contract.js';
export { type AdversarialContractOptions, describeAdversarialContract } from './adversarial-contract.js';
export { CookieJar, readBody } from './cookie-jar.js';
export { keyFor, randomId, type SessionShape, sleep, storedSession } from './fixtures.js';
export { listenNode, rejectionOf } from './node-server.js';
export { findBinary, freePort, isCI, serviceMissing, spawnService, waitFor } from './services/common.js';
export * from './services/memcached.js';
export * from './services/postgres.js';
export * from './services/redis.js';
export { describeStoreContract, type StoreContractOptions } from './store-contract.js';
