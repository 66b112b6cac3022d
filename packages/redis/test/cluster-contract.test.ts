import { describeStoreContract, type RedisCluster, startRedisCluster } from '@tessera/session-testing';
import type { Cluster } from 'ioredis';
import { describe } from 'vitest';
import { redisStore } from '../src/index.js';
import { clusterClient, noCluster, noRedis, ready } from './helpers.js';

let cluster: RedisCluster;
let redis: Cluster;

describe.skipIf(noRedis || noCluster)('redis cluster', () => {
  describeStoreContract({
    name: 'redis (local Cluster, 3 masters + 3 replicas)',
    makeStore: async () => {
      cluster = await startRedisCluster();
      redis = clusterClient(cluster.nodes);
      await ready(redis);
      return redisStore({ client: redis });
    },
    corrupt: async (_store, key) => {
      await redis.hset(`tessera:{${key.tag}}s:${key.id}`, { v: '1', h: 'x', l: 'not-a-number' });
    },
    teardown: async () => {
      redis.disconnect();
      await cluster.stop();
    },
  });
});
