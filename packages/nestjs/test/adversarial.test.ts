/** The adversarial suite over real HTTP, on the memory store and on a throwaway Redis, on both Nest platforms. */
import { describeAdversarialContract } from '@tessera/session-testing';
import { redisKit } from '@tessera/test-support';
import { PLATFORMS, testApp } from './app.js';

const redis = redisKit({ keyPrefix: 'adv:' });

// Nest parses bodies (bounded by its own limit) before guards run, on either platform.
const bodyParsedFirst = true;
for (const platform of PLATFORMS) {
  const name = `nestjs on ${platform}`;
  const makeApp = (manager: Parameters<typeof testApp>[0]) => testApp(manager, platform);
  describeAdversarialContract({ name, makeApp, bodyParsedFirst });
  describeAdversarialContract({ name, makeApp, store: redis.store, corrupt: redis.corrupt, bodyParsedFirst });
}
