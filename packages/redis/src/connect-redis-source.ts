/**
 * Moving from express-session + connect-redis (issue #19): a `MigrationSource` reading
 * connect-redis' `sess:<sid>` JSON on the same Redis. `take` reads, notes the remaining TTL
 * and deletes in one script (one round trip, atomic), so of two requests with the same old
 * cookie, in any processes, one gets the record and the other finds nothing.
 */
import { type MigrationSource, SessionError } from '@tessera/session-core';
import { type AnyRedisClient, storeClientOf } from './internal/client.js';
import { ScriptRunner } from './internal/runner.js';
import { CONNECT_REDIS_SCRIPTS } from './internal/scripts.js';
import { REDIS_STORE_DEFAULTS } from './redis-options.js';

export interface ConnectRedisSourceOptions {
  /** connect-redis' `prefix` (after the client's own `keyPrefix`, which the client applies). @default 'sess:' */
  readonly prefix?: string;
  /** Longest wait for one call, ms; past it the request answers 503. @default 2000 */
  readonly timeoutMs?: number;
}

/** The old sessions connect-redis kept on this Redis, for `expressSession({ source })`. */
export function connectRedisSource(
  client: AnyRedisClient,
  options: ConnectRedisSourceOptions = {},
): MigrationSource {
  const store = storeClientOf(client);
  if (store === undefined || store === 'bad-prefix')
    throw new SessionError(
      'invalid_config',
      '[tessera] [redis] connectRedisSource: `client` must be an ioredis or node-redis client.',
    );
  const prefix = options.prefix ?? 'sess:';
  if (typeof prefix !== 'string')
    throw new SessionError('invalid_config', '[tessera] [redis] `prefix` must be a string.');
  const timeoutMs = options.timeoutMs ?? REDIS_STORE_DEFAULTS.timeoutMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw new SessionError(
      'invalid_config',
      '[tessera] [redis] `timeoutMs` must be a positive number of ms.',
    );
  const runner = new ScriptRunner(store, timeoutMs);
  return {
    name: 'connect-redis',
    atomic: true,
    async take(sid, { now }) {
      const reply = await runner.run(CONNECT_REDIS_SCRIPTS.take, [prefix + sid], []);
      if (!Array.isArray(reply)) return null;
      const [text, pttl] = reply as [unknown, unknown];
      let value: unknown;
      try {
        value = JSON.parse(String(text));
      } catch {
        value = null; // not connect-redis' JSON: the core reports it and migrates nothing
      }
      const ms = Number(pttl);
      return { value, expiresAt: ms >= 0 ? now + ms : null };
    },
    async restore(sid, taken, { now }) {
      const ms = taken.expiresAt === null ? 0 : Math.floor(taken.expiresAt - now);
      if (taken.expiresAt !== null && ms <= 0) return;
      await runner.run(
        CONNECT_REDIS_SCRIPTS.restore,
        [prefix + sid],
        [JSON.stringify(taken.value), String(ms)],
      );
    },
  };
}
