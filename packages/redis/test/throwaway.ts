/** A store on its own throwaway redis-server for one describe block: started before its tests, stopped after. */
import type { SessionKey, SessionStore } from '@tessera/session-core';
import { type RedisServer, startRedis } from '@tessera/test-support';
import { afterAll, beforeAll } from 'vitest';
import { type RedisStoreOptions, redisStore } from '../src/index.js';
import { type ClientKind, connect, type TestConnection } from './helpers.js';

export interface Throwaway {
  /** The connection the store uses, for the test's own commands. */
  readonly redis: TestConnection;
  readonly store: SessionStore;
}

/** The session hash's key under the default prefix. */
export function sessionHashKey(key: SessionKey): string {
  return `tessera:{${key.tag}}s:${key.id}`;
}

/** Register the server's start and stop with the enclosing describe; read the fields inside tests. */
export function useThrowawayStore(
  kind: ClientKind,
  options: Omit<RedisStoreOptions, 'client'> = {},
  startTimeoutMs = 20_000,
): Throwaway {
  let server: RedisServer | undefined;
  let redis: TestConnection | undefined;
  let store: SessionStore | undefined;
  beforeAll(async () => {
    server = await startRedis();
    redis = await connect(kind, server.url);
    store = redisStore({ ...options, client: redis.client });
  }, startTimeoutMs);
  afterAll(async () => {
    await redis?.close();
    await server?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error('the throwaway redis-server has not started (use it inside a test)');
    return value;
  };
  return {
    get redis() {
      return started(redis);
    },
    get store() {
      return started(store);
    },
  };
}
