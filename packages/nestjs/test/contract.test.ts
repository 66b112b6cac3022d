/** The shared adapter contract over real HTTP, on the memory store and on a throwaway Redis. */
import { redisKit } from '@tessera/session-redis/testing';
import { describeAdapterContract } from '@tessera/session-testing';
import { testApp } from './app.js';

describeAdapterContract({ name: 'nestjs', makeApp: testApp });
describeAdapterContract({
  name: 'nestjs',
  makeApp: testApp,
  store: redisKit({ keyPrefix: 'contract:' }).store,
});
