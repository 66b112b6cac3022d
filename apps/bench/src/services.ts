// The throwaway services of a run: redis-server, memcached and a Postgres schema, and which contenders they allow.
import { mkdirSync } from 'node:fs';
import { type MemcachedServer, type RedisServer, startMemcached, startRedis } from '@tessera/test-support';
import { Redis } from 'ioredis';
import pg from 'pg';
import { log, PG_SCHEMA, PG_URL, profileDir } from './cli.js';
import type { Contender } from './contenders.js';
import { pin } from './procs.js';

export interface Services {
  redis: RedisServer;
  /** The throwaway redis-server's process id: its CPU is read from /proc per phase. */
  redisPid: number;
  admin: Redis;
  memcached: MemcachedServer | null;
  postgres: boolean;
  env: Record<string, string>;
}

export async function startServices(): Promise<Services> {
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const redis = await startRedis();
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  const info = await admin.info('server');
  const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
  pin(pid, 1);
  let memcached: MemcachedServer | null = null;
  try {
    memcached = await startMemcached({ memoryMb: 256 });
  } catch (error) {
    log(`[bench] memcached unavailable, skipping its contender: ${(error as Error).message}`);
  }
  let postgres = false;
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${PG_SCHEMA} CASCADE`);
    postgres = true;
  } catch (error) {
    log(`[bench] Postgres at ${PG_URL} unavailable, skipping its contender: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  return {
    redis,
    redisPid: pid,
    admin,
    memcached,
    postgres,
    env: {
      BENCH_REDIS_URL: redis.url,
      BENCH_DATABASE_URL: PG_URL,
      BENCH_PG_SCHEMA: PG_SCHEMA,
      BENCH_MEMCACHED_SERVERS: memcached?.server ?? '',
      ...(profileDir ? { BENCH_CPU_PROF: profileDir } : {}),
    },
  };
}

/** A fresh, empty schema for the Postgres contender (its server migrates it at start). */
export async function resetPostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${PG_SCHEMA} CASCADE`);
    await client.query(`CREATE SCHEMA ${PG_SCHEMA}`);
  } finally {
    await client.end();
  }
}

/** Why `c` cannot run with these services, or null when it can. */
export function applicable(c: Contender, s: Services): string | null {
  if (c.store === 'memcached' && !s.memcached) return 'no memcached binary';
  if (c.store === 'postgres' && !s.postgres) return 'no Postgres';
  return null;
}
