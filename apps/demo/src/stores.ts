/** Builds the session store the environment asks for. Each returns a `close()` for shutdown. */
import { mkdirSync } from 'node:fs';
import { MemoryStore, type MigrationSource, type SessionStore } from '@tessera/session-core';
import type { RedisStoreOptions } from '@tessera/session-redis';
import { type DemoConfig, dataLimits } from './config.js';

export interface OpenedStore {
  readonly store: SessionStore;
  /** Human-readable description for the start-up line. */
  readonly label: string;
  /** Where express-session kept its sessions on the same backend (connect-redis, connect-pg-simple). */
  readonly migrationSource?: MigrationSource;
  close(): Promise<void>;
}

/**
 * Several memcached servers need a `tagSecret`. So that `MEMCACHED_SERVERS=a,b` works out of
 * the box, the demo then falls back to this published value and says so in its start-up line;
 * a deployment sets SESSION_TAG_SECRET (at least 32 random bytes) instead.
 */
export const DEV_TAG_SECRET = 'tessera-demo-development-tag-secret-not-for-production';

export async function openStore(config: DemoConfig): Promise<OpenedStore> {
  switch (config.store) {
    case 'memory':
      // Deliberately quiet: the demo runs with NODE_ENV=production and on the memory store by
      // default, and its start line already says store=memory (the README says what that means).
      return {
        store: new MemoryStore({ warnInProduction: false, ...dataLimits(config) }),
        label: 'memory',
        close: async () => {},
      };
    case 'redis': {
      const { connectRedisSource, redisStore } = await import('@tessera/session-redis');
      const redis = await (config.redisClient === 'node-redis' ? openNodeRedis : openIoredis)(
        config.redisUrl,
      );
      return {
        store: redisStore({
          client: redis.client,
          ...dataLimits(config),
          ...(config.tagSecret ? { tagSecret: config.tagSecret } : {}),
        }),
        label: `redis (${config.redisClient}, ${config.redisUrl})`,
        migrationSource: connectRedisSource(redis.client),
        close: redis.close,
      };
    }
    case 'memcached': {
      const { memcachedStore } = await import('@tessera/session-memcached');
      const devSecret = config.tagSecret === undefined && config.memcachedServers.length > 1;
      const tagSecret = devSecret ? DEV_TAG_SECRET : config.tagSecret;
      const store = memcachedStore({
        servers: config.memcachedServers,
        ...dataLimits(config),
        ...(tagSecret ? { tagSecret } : {}),
      });
      return {
        store,
        label: `memcached (${config.memcachedServers.join(', ')}${devSecret ? '; development tag secret: set SESSION_TAG_SECRET' : ''})`,
        close: async () => store.close?.(),
      };
    }
    case 'postgres': {
      if (!config.databaseUrl) throw new Error('[demo] SESSION_STORE=postgres needs DATABASE_URL.');
      const pg = await import('pg');
      const { connectPgSource, migrate, postgresStore, startSweeper } = await import(
        '@tessera/session-postgres'
      );
      const pool = new pg.default.Pool({
        connectionString: config.databaseUrl,
        connectionTimeoutMillis: 2000,
      });
      pool.on('error', () => {});
      await migrate(pool);
      const sweeper = startSweeper(pool, { intervalMs: 60_000 });
      return {
        store: postgresStore({ client: pool, ...dataLimits(config) }),
        label: 'postgres',
        migrationSource: connectPgSource(pool),
        close: async () => {
          await sweeper.stop(); // a sweep in progress must not run on a closed client
          await pool.end();
        },
      };
    }
    case 'pglite': {
      const { PGlite } = await import('@electric-sql/pglite');
      const { connectPgSource, migrate, postgresStore, startSweeper } = await import(
        '@tessera/session-postgres'
      );
      mkdirSync(config.pgliteDir, { recursive: true }); // a fresh clone has no .data/ yet
      const db = new PGlite(config.pgliteDir);
      await migrate(db);
      const sweeper = startSweeper(db, { intervalMs: 60_000 });
      return {
        store: postgresStore({ client: db, ...dataLimits(config) }),
        label: `pglite (${config.pgliteDir})`,
        migrationSource: connectPgSource(db),
        close: async () => {
          await sweeper.stop(); // a sweep in progress must not run on a closed client
          await db.close();
        },
      };
    }
  }
}

interface OpenedRedis {
  readonly client: RedisStoreOptions['client'];
  close(): Promise<void>;
}

const unreachable = (url: string) =>
  new Error(`[demo] Redis at ${url} did not answer within 5 s; start it or set REDIS_URL.`);

/** ioredis as the store's README recommends: fail fast while Redis is away instead of queueing. */
async function openIoredis(url: string): Promise<OpenedRedis> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1000 });
  client.on('error', () => {}); // reconnects by itself; requests see store_unavailable meanwhile
  // Without the offline queue, commands sent before the first connection fail: wait for it.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.disconnect();
      reject(unreachable(url));
    }, 5000);
    client.once('ready', () => resolve(clearTimeout(timer)));
  });
  return { client, close: async () => void client.disconnect() };
}

/** node-redis as the store's README recommends: no offline queue, quick reconnects. */
async function openNodeRedis(url: string): Promise<OpenedRedis> {
  const { createClient } = await import('redis');
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 5000, reconnectStrategy: (retries) => Math.min(retries * 50, 500) },
  });
  // node-redis throws an 'error' event nobody listens to: that would end the process.
  client.on('error', () => {});
  const timer = setTimeout(() => void client.destroy(), 5000);
  try {
    await client.connect();
  } catch {
    throw unreachable(url);
  } finally {
    clearTimeout(timer);
  }
  return { client, close: async () => void (client.isOpen && client.destroy()) };
}
