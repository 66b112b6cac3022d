/** The shared adapter contract on a throwaway Redis. */
import { redisKit } from '@tessera/session-redis/testing';
import { describeAdapterContract } from '@tessera/session-testing';
import { buildApp, listen } from './app.js';

describeAdapterContract({
  name: 'koa',
  makeApp: async (manager) => listen(buildApp(manager)),
  store: redisKit({ keyPrefix: 'contract:' }).store,
});
