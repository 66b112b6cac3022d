/**
 * Store clients for the server process. Postgres statements and Memcached round trips are
 * counted here, at the client (Redis is counted at the server, from INFO commandstats).
 */
import { MemoryStore, type SessionStore } from '@tessera/session-core';
import { MemcachedMetaClient, memcachedStore } from '@tessera/session-memcached';
import { migrate, type PostgresClient, postgresStore } from '@tessera/session-postgres';
import { redisStore } from '@tessera/session-redis';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createClient } from 'redis';
import { CONTENDERS, type Contender } from '../contenders.js';

/** Store calls (statements / round trips) counted at the client; read over IPC. */
export const counters = { storeCalls: 0, requests: 0 };

const closers: (() => Promise<unknown> | unknown)[] = [];

export async function closeAll(): Promise<void> {
  for (const close of closers.splice(0)) await Promise.resolve(close()).catch(() => undefined);
}

export function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`[bench] ${name} is not set`);
  return v;
}

/** An ioredis client with the settings the Redis store's README recommends. */
export function ioredisClient(): Redis {
  const client = new Redis(env('BENCH_REDIS_URL'), {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1000,
    autoResendUnfulfilledCommands: false,
    // Experiment switch (not a default): batch the commands of one event-loop tick in one write.
    enableAutoPipelining: process.env.BENCH_AUTOPIPELINE === '1',
  });
  closers.push(() => client.quit());
  return client;
}

export async function ready(client: Redis): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
  });
}

/** A connected node-redis client with the settings the Redis store's README recommends. */
async function nodeRedisClient() {
  const client = createClient({
    url: env('BENCH_REDIS_URL'),
    disableOfflineQueue: true,
    socket: { connectTimeout: 1000, reconnectStrategy: (retries) => Math.min(retries * 50, 500) },
  });
  client.on('error', () => undefined);
  closers.push(() => client.close());
  await client.connect();
  return client;
}

export async function tesseraStore(c: Contender): Promise<SessionStore> {
  switch (c.store) {
    case 'redis': {
      if (c.redisClient === 'node-redis') return redisStore({ client: await nodeRedisClient() });
      const client = ioredisClient();
      await ready(client);
      const store = redisStore({
        client,
        // A near-cache server has a key prefix of its own, as a separate app would: its
        // invalidations (BCAST on its prefix) then carry its own changes only. On the shared
        // prefix the three idle near-cache servers, on the measured server's core, each handled
        // every change any Tessera server made, and Tessera's count++ req/s paid for it.
        ...(c.nearCache ? { nearCache: {}, keyPrefix: `tessera:near-${c.framework}:` } : {}),
        // Experiment switch (not a default): the store's write coalescing off.
        ...(process.env.BENCH_COALESCE === '0' ? { coalesceWrites: false } : {}),
      });
      // Before the client: the near cache's own invalidation connection closes first.
      closers.unshift(() => store.close?.());
      return store;
    }
    case 'memory':
      return new MemoryStore({ maxEntries: 1_000_000 });
    case 'postgres': {
      const pool = new pg.Pool({ connectionString: env('BENCH_DATABASE_URL'), max: 10 });
      pool.on('error', () => undefined);
      closers.push(() => pool.end());
      const counted: PostgresClient = {
        query: (text: string, params?: unknown[]) => {
          counters.storeCalls++;
          return pool.query(text, params);
        },
      };
      const schema = env('BENCH_PG_SCHEMA');
      await migrate(pool, { schema });
      return postgresStore({ client: counted, schema });
    }
    case 'memcached': {
      const servers = env('BENCH_MEMCACHED_SERVERS').split(',');
      const client = new MemcachedMetaClient({
        servers,
        ...(process.env.BENCH_COALESCE === '0' ? { coalesceWrites: false } : {}),
      });
      closers.push(() => client.close());
      // One exec is one round trip to one server (its commands are pipelined).
      const exec = client.exec.bind(client);
      client.exec = (server, commands) => {
        counters.storeCalls++;
        return exec(server, commands);
      };
      // Several servers need keyed routing tags (one server has none).
      return memcachedStore({ client, ...(servers.length > 1 ? { tagSecret: BENCH_TAG_SECRET } : {}) });
    }
    default:
      throw new Error(`[bench] no Tessera store ${c.store}`);
  }
}

/**
 * Every server has its own users: all servers share one Redis, and Tessera caps sessions per
 * user (5), so a pool of `user-N` logged in by a later server would evict an earlier server's
 * sessions (its reads then found nothing and its writes created new sessions).
 */
const USERS = `@${CONTENDERS.findIndex((c) => c.name === process.env.BENCH_CONTENDER)}`;

/** The pool's user N (`/setup?u=N`) on this server. */
export function poolUser(u: unknown): string {
  return `user-${String(u)}${USERS}`;
}

/** Login scenario: 200 users, so each user's cap (5) is reached and enforced. */
let logins = 0;
export function nextLoginUser(): string {
  logins = (logins + 1) % 200;
  return `login-${logins}${USERS}`;
}

export const PEER_SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';
export const BENCH_TAG_SECRET = 'bench-tag-secret-bench-tag-secret-0123456789';
export const IDLE_SECONDS = 1800;
