/** Shared test wiring: skip loudly without redis-server, and a client tuned to fail fast. */

import { FAIL_FAST_OPTIONS, redisAvailable, serviceMissing } from '@tessera/test-support';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { createClient, createCluster, type RedisClientOptions } from 'redis';
import type { AnyRedisClient } from '../src/internal/client.js';

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

/** The two clients every Redis suite that the issue names runs on. */
export type ClientKind = 'ioredis' | 'node-redis';
export const CLIENT_KINDS: readonly ClientKind[] = ['ioredis', 'node-redis'];

/**
 * A connected client of either package, for the store, plus `cmd` for the tests' own
 * commands, sent on the same connection (so MONITOR shows them from the store's address).
 */
export interface TestConnection {
  readonly kind: ClientKind;
  readonly client: AnyRedisClient;
  /** One raw command; on a Cluster, routed by `args[1]` (its key). Replies as the client gives them. */
  cmd(...args: string[]): Promise<unknown>;
  close(): Promise<void>;
}

/** node-redis settings the README recommends: never queue while Redis is away, retry quickly. */
export const NODE_REDIS_FAIL_FAST = {
  disableOfflineQueue: true,
  socket: { connectTimeout: 1000, reconnectStrategy: (retries: number) => Math.min(retries * 50, 500) },
} as const;

/** A connected standalone client of `kind` (`extra` merged into node-redis' options). */
export async function connect(
  kind: ClientKind,
  url: string,
  extra: { ioredis?: RedisOptions; nodeRedis?: Omit<RedisClientOptions, 'RESP'> & { RESP?: 2 | 3 } } = {},
): Promise<TestConnection> {
  if (kind === 'ioredis') {
    const c = client(url, extra.ioredis);
    // A test that stops Redis must not log (or, on node-redis, crash on) unheard 'error' events.
    c.on('error', () => {});
    await ready(c);
    return {
      kind,
      client: c,
      cmd: (...args) => c.call(args[0]!, ...args.slice(1)),
      close: async () => c.disconnect(),
    };
  }
  const c = createClient({ url, ...NODE_REDIS_FAIL_FAST, ...extra.nodeRedis });
  c.on('error', () => {});
  await c.connect();
  return {
    kind,
    client: c,
    cmd: (...args) => c.sendCommand(args),
    close: async () => {
      if (c.isOpen) c.destroy();
    },
  };
}

/** A connected Cluster client of `kind`. */
export async function connectCluster(
  kind: ClientKind,
  nodes: readonly { host: string; port: number }[],
): Promise<TestConnection> {
  if (kind === 'ioredis') {
    const c = clusterClient(nodes);
    c.on('error', () => {});
    await ready(c);
    return {
      kind,
      client: c,
      cmd: (...args) => c.call(args[0]!, ...args.slice(1)),
      close: async () => c.disconnect(),
    };
  }
  const c = createCluster({
    rootNodes: nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })),
    defaults: NODE_REDIS_FAIL_FAST,
    topologyRefreshOnReconnectionAttemptStrategy: 500,
  });
  c.on('error', () => {});
  await c.connect();
  return {
    kind,
    client: c,
    cmd: (...args) => c.sendCommand(args[1], false, args),
    close: async () => {
      if (c.isOpen) c.destroy();
    },
  };
}
