/** The shared adapter contract over real HTTP, on the memory store and on a throwaway Redis. */
import { redisStore } from '@tessera/session-redis';
import {
  describeAdapterContract,
  type RedisServer,
  redisAvailable,
  serviceMissing,
  startRedis,
} from '@tessera/session-testing';
import { Redis } from 'ioredis';
import { testApp } from './app.js';

describeAdapterContract({ name: 'nestjs', makeApp: testApp });

const noRedis = !redisAvailable() && serviceMissing('redis-server', 'install redis-server on PATH');
if (!noRedis) {
  let server: RedisServer | undefined;
  let client: Redis | undefined;
  describeAdapterContract({
    name: 'nestjs',
    makeApp: testApp,
    store: {
      name: 'redis',
      make: async () => {
        server = await startRedis();
        client = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
        await new Promise<void>((resolve, reject) => {
          client!.once('ready', resolve);
          client!.once('error', reject);
        });
        return redisStore({ client });
      },
      teardown: async () => {
        client?.disconnect();
        await server?.stop();
      },
    },
  });
}
