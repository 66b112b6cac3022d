/** The shared adapter contract over real HTTP, on the memory store and on a throwaway Redis. */
import { describeAdapterContract } from '@tessera/session-testing';
import { redisKit } from '@tessera/test-support';
import { testApp } from './app.js';

describeAdapterContract({ name: 'nestjs', makeApp: testApp });
describeAdapterContract({
  name: 'nestjs',
  makeApp: testApp,
  store: redisKit({ keyPrefix: 'contract:' }).store,
});
