export {
  type AdapterContractOptions,
  type ContractStore,
  describeAdapterContract,
  type TestServer,
} from './adapter-contract.js';
export {
  describeLoginThrottleContract,
  type LoginThrottleAppOptions,
  type LoginThrottleContractOptions,
} from './adapter-throttle.js';
export { type AdversarialContractOptions, describeAdversarialContract } from './adversarial-contract.js';
export { CookieJar, readBody } from './cookie-jar.js';
export { keyFor, randomId, type SessionShape, sleep, storedSession } from './fixtures.js';
export {
  type InstrumentedStore,
  instrumentStore,
  STORE_OPERATIONS,
  type StoreOperation,
  type ThrottleOperation,
} from './instrumented-store.js';
export {
  expressSessionCookie,
  type MemoryMigrationSource,
  memoryMigrationSource,
} from './migration-fixtures.js';
export { listenNode, rejectionOf } from './node-server.js';
export { describeStoreContract, type StoreContractOptions } from './store-contract.js';
export { listedIds, loadStatus, sessionErrorOf, signIn } from './store-helpers.js';
