/** The adversarial suite over real HTTP, on the memory store and on a throwaway Redis. */
import { redisStore } from '@tessera/session-redis';
import { describeAdversarialContract, redisContractStore } from '@tessera/session-testing';
import { Redis } from 'ioredis';
import { buildApp, listen } from './app.js';

const makeApp = async (manager: Parameters<typeof buildApp>[0]) => listen(buildApp(manager));
let raw: Redis | undefined;

describeAdversarialContract({ name: 'koa', makeApp });
describeAdversarialContract({
  name: 'koa',
  makeApp,
  store: redisContractStore((url) => {
    const client = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 1000,
    });
    raw = client;
    return { store: redisStore({ client, keyPrefix: 'adv:' }), close: () => client.quit() };
  }),
  // A record in the store's own layout that its decoder must refuse.
  corrupt: async (key) =>
    void (await raw!.hset(`adv:{${key.tag}}s:${key.id}`, { v: '9', garbage: '\u0000' })),
});
