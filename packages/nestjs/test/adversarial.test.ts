/** The adversarial suite over real HTTP, on the memory store and on a throwaway Redis. */
import { redisKit } from '@tessera/session-redis/testing';
import { describeAdversarialContract } from '@tessera/session-testing';
import { testApp } from './app.js';

const redis = redisKit({ keyPrefix: 'adv:' });

describeAdversarialContract({ name: 'nestjs', makeApp: testApp });
describeAdversarialContract({ name: 'nestjs', makeApp: testApp, store: redis.store, corrupt: redis.corrupt });
