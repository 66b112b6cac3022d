import { redisStore } from '@tessera/session-redis';
import { describeAdapterContract, redisContractStore } from '@tessera/session-testing';
import { Redis } from 'ioredis';
import { buildApp, listen } from './app.js';

describeAdapterContract({
  name: 'hono',
  makeApp: async (manager) => listen(buildApp(manager)),
  store: redisContractStore((url) => {
    const client = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 1000,
    });
    return { store: redisStore({ client, keyPrefix: 'contract:' }), close: () => client.quit() };
  }),
});
