import { describeStoreContract } from '@tessera/session-testing';
import { type RedisServer, startRedis } from '@tessera/test-support';
import { describe } from 'vitest';
import { redisStore } from '../src/index.js';
import { CLIENT_KINDS, connect, noRedis, type TestConnection } from './helpers.js';

// REDIS_URL points the suite at an existing server; keys get a unique prefix so it can share.
const external = process.env.REDIS_URL;

for (const kind of CLIENT_KINDS) {
  const prefix = external ? `tessera-test-${kind}-${Date.now().toString(36)}:` : 'tessera:';
  let server: RedisServer | undefined;
  let redis: TestConnection;

  describe.skipIf(noRedis && !external)(`redis standalone (${kind})`, () => {
    describeStoreContract({
      name: external
        ? `redis on ${kind} (REDIS_URL, prefix ${prefix})`
        : `redis on ${kind} (throwaway redis-server)`,
      makeStore: async () => {
        if (!external) server = await startRedis();
        redis = await connect(kind, external ?? server!.url);
        return redisStore({ client: redis.client, keyPrefix: prefix });
      },
      corrupt: async (_store, key) => {
        await redis.cmd(
          'HSET',
          `${prefix}{${key.tag}}s:${key.id}`,
          'v',
          '9',
          'h',
          'x',
          'garbage',
          '\u0000\u00ff',
        );
      },
      teardown: async () => {
        // On a shared server, remove what this run wrote (glob characters in the prefix escaped).
        if (external) {
          const match = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
          let cursor = '0';
          for (let i = 0; i < 1000; i++) {
            const [next, keys] = (await redis.cmd('SCAN', cursor, 'MATCH', match, 'COUNT', '500')) as [
              string,
              string[],
            ];
            if (keys.length > 0) await redis.cmd('UNLINK', ...keys);
            cursor = next;
            if (cursor === '0') break;
          }
        }
        await redis.close();
        await server?.stop();
      },
    });
  });
}
