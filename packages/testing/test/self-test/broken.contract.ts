// Run only by kit-self-test.test.ts (through ./vitest.config.ts): the contract on every broken store.
import { describeStoreContract } from '../../src/index.js';
import { BROKEN } from './broken-stores.js';

for (const broken of BROKEN)
  describeStoreContract({ name: broken.name, makeStore: broken.make, ttlResolutionMs: 20 });
