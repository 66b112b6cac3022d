/** The adversarial suite over real HTTP, on the memory store and on a throwaway Redis. */
import { describeAdversarialContract } from '@tessera/session-testing';
import { redisKit } from '@tessera/test-support';
import { buildApp, listen } from './app.js';

const makeApp = async (manager: Parameters<typeof buildApp>[0]) => listen(buildApp(manager));
const redis = redisKit({ keyPrefix: 'adv:' });

describeAdversarialContract({ name: 'koa', makeApp });
describeAdversarialContract({ name: 'koa', makeApp, store: redis.store, corrupt: redis.corrupt });
