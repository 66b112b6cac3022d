/** The adversarial suite over real HTTP, on the memory store and on a throwaway Redis. */
import { describeAdversarialContract } from '@tessera/session-testing';
import { redisKit } from '@tessera/test-support';
import { testApp } from './app.js';

const redis = redisKit({ keyPrefix: 'adv:' });

// Nest parses bodies (bounded by its own limit) before guards run.
const bodyParsedFirst = true;
describeAdversarialContract({ name: 'nestjs', makeApp: testApp, bodyParsedFirst });
describeAdversarialContract({
  name: 'nestjs',
  makeApp: testApp,
  store: redis.store,
  corrupt: redis.corrupt,
  bodyParsedFirst,
});
