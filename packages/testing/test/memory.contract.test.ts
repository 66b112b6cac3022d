import { MemoryStore } from '@tessera/session-core';
import { describeStoreContract } from '../src/index.js';

describeStoreContract({ name: 'memory', makeStore: () => new MemoryStore(), ttlResolutionMs: 20 });
