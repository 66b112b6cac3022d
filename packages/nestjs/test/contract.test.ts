/** The shared adapter contract over real HTTP, on the memory store and on a throwaway Redis, on both Nest platforms. */
import { describeAdapterContract } from '@tessera/session-testing';
import { redisKit } from '@tessera/test-support';
import { PLATFORMS, testApp } from './app.js';

const store = redisKit({ keyPrefix: 'contract:' }).store;
for (const platform of PLATFORMS) {
  const name = `nestjs on ${platform}`;
  const makeApp = (manager: Parameters<typeof testApp>[0]) => testApp(manager, platform);
  describeAdapterContract({ name, makeApp });
  describeAdapterContract({ name, makeApp, store });
}
