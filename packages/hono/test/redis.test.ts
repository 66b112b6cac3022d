/** The shared adapter contract on a throwaway Redis. */
import { describeAdapterContract } from '@tessera/session-testing';
import { redisKit } from '@tessera/test-support';
import { buildApp, listen } from './app.js';

describeAdapterContract({
  name: 'hono',
  makeApp: async (manager) => listen(buildApp(manager)),
  store: redisKit({ keyPrefix: 'contract:' }).store,
});
