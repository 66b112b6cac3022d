export { keyFor, randomId, type SessionShape, sleep, storedSession } from './fixtures.js';
export { describeStoreContract, type StoreContractOptions } from './store-contract.js';
