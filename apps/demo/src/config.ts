/** The demo's settings, from the environment, validated once at start-up. */
import type { OnLimit } from '@tessera/session-core';

export type Framework = 'hono' | 'koa' | 'express' | 'nestjs' | 'fastify';
/** Which HTTP platform NestJS runs on (DEMO_NEST_PLATFORM) when the framework is `nestjs`. */
export type NestPlatform = 'express' | 'fastify';
export type StoreKind = 'memory' | 'pglite' | 'redis' | 'postgres' | 'memcached';
export type RedisClientKind = 'ioredis' | 'node-redis';

export interface DemoConfig {
  readonly port: number;
  readonly framework: Framework;
  readonly nestPlatform: NestPlatform;
  readonly store: StoreKind;
  readonly redisUrl: string;
  /** Which Redis client the Redis store runs on (REDIS_CLIENT). */
  readonly redisClient: RedisClientKind;
  readonly databaseUrl: string | undefined;
  readonly memcachedServers: readonly string[];
  /** The stores' `tagSecret` (SESSION_TAG_SECRET); see stores.ts for the development default. */
  readonly tagSecret: string | undefined;
  readonly pgliteDir: string;
  readonly idleTimeoutMs: number | undefined;
  readonly absoluteTimeoutMs: number | undefined;
  readonly touchIntervalMs: number | undefined;
  readonly maxSessionsPerUser: number | undefined;
  readonly onLimit: OnLimit | undefined;
  /** Bounds on one session's data (the notes): the policy's and the store's. */
  readonly maxDataBytes: number | undefined;
  readonly maxKeys: number | undefined;
  /**
   * express-session's secrets (SESSION_MIGRATE_EXPRESS_SECRET, comma-separated, the current
   * one first): sign in the users of an express-session app on this store. See migration.ts.
   */
  readonly migrateExpressSecrets: readonly string[] | undefined;
  /** The login throttle (SESSION_LOGIN_*): failures per username, window, failures per address. */
  readonly loginMaxFailures: number;
  readonly loginWindowMs: number;
  readonly loginIpMaxFailures: number;
}

function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined || value === '') return fallback;
  if (!allowed.includes(value as T))
    throw new Error(`[demo] ${name} must be one of ${allowed.join(', ')}; got "${value}".`);
  return value as T;
}

function int(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`[demo] ${name} must be a non-negative number; got "${value}".`);
  return n;
}

function secrets(value: string | undefined): readonly string[] | undefined {
  const list = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list.length > 0 ? list : undefined;
}

function positive(name: string, value: string | undefined, fallback: number): number {
  const n = int(name, value) ?? fallback;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new Error(`[demo] ${name} must be a whole number >= 1; got "${value}".`);
  return n;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  return {
    port: int('PORT', env.PORT) ?? 3000,
    framework: oneOf(
      'DEMO_FRAMEWORK',
      env.DEMO_FRAMEWORK,
      ['hono', 'koa', 'express', 'nestjs', 'fastify'],
      'hono',
    ),
    nestPlatform: oneOf('DEMO_NEST_PLATFORM', env.DEMO_NEST_PLATFORM, ['express', 'fastify'], 'express'),
    store: oneOf(
      'SESSION_STORE',
      env.SESSION_STORE,
      ['memory', 'pglite', 'redis', 'postgres', 'memcached'],
      'memory',
    ),
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    redisClient: oneOf('REDIS_CLIENT', env.REDIS_CLIENT, ['ioredis', 'node-redis'], 'ioredis'),
    databaseUrl: env.DATABASE_URL || undefined,
    memcachedServers: (env.MEMCACHED_SERVERS || '127.0.0.1:11211')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    tagSecret: env.SESSION_TAG_SECRET || undefined,
    pgliteDir: env.PGLITE_DIR || new URL('../.data/pglite', import.meta.url).pathname,
    idleTimeoutMs: int('SESSION_IDLE_TIMEOUT_MS', env.SESSION_IDLE_TIMEOUT_MS),
    absoluteTimeoutMs: int('SESSION_ABSOLUTE_TIMEOUT_MS', env.SESSION_ABSOLUTE_TIMEOUT_MS),
    touchIntervalMs: int('SESSION_TOUCH_INTERVAL_MS', env.SESSION_TOUCH_INTERVAL_MS),
    maxSessionsPerUser: int('SESSION_MAX_PER_USER', env.SESSION_MAX_PER_USER),
    onLimit: env.SESSION_ON_LIMIT
      ? oneOf<OnLimit>('SESSION_ON_LIMIT', env.SESSION_ON_LIMIT, ['evict-oldest', 'reject'], 'evict-oldest')
      : undefined,
    maxDataBytes: int('SESSION_MAX_DATA_BYTES', env.SESSION_MAX_DATA_BYTES),
    maxKeys: int('SESSION_MAX_KEYS', env.SESSION_MAX_KEYS),
    migrateExpressSecrets: secrets(env.SESSION_MIGRATE_EXPRESS_SECRET),
    loginMaxFailures: positive('SESSION_LOGIN_MAX_FAILURES', env.SESSION_LOGIN_MAX_FAILURES, 5),
    loginWindowMs: positive('SESSION_LOGIN_WINDOW_MS', env.SESSION_LOGIN_WINDOW_MS, 900_000),
    loginIpMaxFailures: positive('SESSION_LOGIN_IP_MAX_FAILURES', env.SESSION_LOGIN_IP_MAX_FAILURES, 50),
  };
}

/** The data limits for the store too: it refuses a policy above its own (64 KiB, 256 keys by default). */
export function dataLimits(config: DemoConfig) {
  return {
    ...(config.maxDataBytes !== undefined ? { maxDataBytes: config.maxDataBytes } : {}),
    ...(config.maxKeys !== undefined ? { maxKeys: config.maxKeys } : {}),
  };
}

/** The login throttle's policy (the library's defaults unless the environment says otherwise). */
export function throttleOptions(config: DemoConfig) {
  return {
    maxFailures: config.loginMaxFailures,
    windowMs: config.loginWindowMs,
    ipMaxFailures: config.loginIpMaxFailures,
  };
}

/** Session options shared by the four frameworks. */
export function sessionOptions(config: DemoConfig) {
  return {
    ...(config.idleTimeoutMs !== undefined ? { idleTimeoutMs: config.idleTimeoutMs } : {}),
    ...(config.absoluteTimeoutMs !== undefined ? { absoluteTimeoutMs: config.absoluteTimeoutMs } : {}),
    ...(config.touchIntervalMs !== undefined ? { touchIntervalMs: config.touchIntervalMs } : {}),
    ...(config.maxSessionsPerUser !== undefined ? { maxSessionsPerUser: config.maxSessionsPerUser } : {}),
    ...(config.onLimit !== undefined ? { onLimit: config.onLimit } : {}),
    ...dataLimits(config),
  };
}
