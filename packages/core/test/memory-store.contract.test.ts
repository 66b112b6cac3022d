import { describeStoreContract } from '@tessera/session-testing';
import { MemoryStore } from '../src/index.js';

describeStoreContract({ name: 'memory', makeStore: () => new MemoryStore(), ttlResolutionMs: 20 });
