/** Shared test wiring: skip loudly without redis-server, and a client tuned to fail fast. */

import { FAIL_FAST_OPTIONS, redisAvailable, serviceMissing } from '@tessera/test-support';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

export const noRedis =
  !redisAvailable() && serviceMissing('redis-server', 'install redis-server (Redis 7) on PATH');
export const noCluster =
  !noRedis &&
  !redisAvailable(true) &&
  serviceMissing('redis-cli', 'install redis-cli to build a local Redis Cluster');

/** The settings the README recommends: never queue while Redis is away. */
export const FAIL_FAST: RedisOptions = FAIL_FAST_OPTIONS;

export function client(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, { ...FAIL_FAST, ...extra });
}

export function clusterClient(
  nodes: readonly { host: string; port: number }[],
  extra: ClusterOptions = {},
): Cluster {
  return new Cluster([...nodes], { redisOptions: FAIL_FAST, enableOfflineQueue: false, ...extra });
}

export async function ready(c: Redis | Cluster): Promise<void> {
  if (c.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    c.once('ready', () => resolve());
    c.once('error', reject);
  });
}
