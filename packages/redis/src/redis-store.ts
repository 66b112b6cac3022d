/**
 * The Redis store: one hash per session with a key TTL of `expiresAtOf(session) - now`
 * (so touching can never move the absolute deadline, and nothing needs sweeping), a
 * sorted-set index per user, and one Lua script per operation (one round trip each).
 * A user's sessions and index share a hash tag, so every script stays in one Cluster slot;
 * the single exception (an anonymous session rotated into a user on Cluster) is done in
 * two ordered steps, see `#rotateAcrossSlots`.
 */
import {
  checkDataLimits,
  checkRevokeOptions,
  type DataLimits,
  type DestroyOptions,
  expiresAtOf,
  type LoadOptions,
  type LoadResult,
  type RevokeOptions,
  type RotateInput,
  type RotateResult,
  resolveDataLimits,
  SessionError,
  type SessionKey,
  type SessionPatch,
  type SessionStore,
  type ShardTags,
  type StoreCallOptions,
  type StoreCapabilities,
  type StoredSession,
  type StoredSessionInfo,
  shardTags,
  storedSessionInfoOf,
  type UpdateResult,
} from '@tessera/session-core';
import type { Cluster, Redis } from 'ioredis';
import {
  checkAcknowledged,
  type DurabilityShortfall,
  type RedisDurability,
  validateDurability,
} from './durability.js';
import { decodeSession, encodePatch, encodeSession } from './internal/codec.js';
import { baseKey, isValidTag, validatePrefix } from './internal/keys.js';
import { type ScriptClient, ScriptRunner } from './internal/runner.js';
import { SCRIPTS, type Script } from './internal/scripts.js';
import { type NearCache, type NearCacheOptions, openNearCache } from './near-cache.js';

export interface RedisStoreOptions {
  /**
   * An ioredis `Redis` (standalone or Sentinel) or `Cluster` instance. The store never
   * closes it. Recommended settings: see the README ("Configuring ioredis").
   */
  readonly client: Redis | Cluster;
  /**
   * Prepended to every key (after the client's own `keyPrefix`, if any). No `{`, `}` or
   * whitespace: braces would override the hash tag that keeps a user's keys in one slot.
   * @default 'tessera:'
   */
  readonly keyPrefix?: string;
  /**
   * Longest wait for one store call, ms, including waiting for a reconnecting client.
   * Past it the call fails with `SessionError('store_unavailable')` (503 in the adapters).
   * @default 2000
   */
  readonly timeoutMs?: number;
  /**
   * Durable login/logout/revocation: after the rotate (login), destroy (logout) and revoke
   * scripts, send `WAIT replicas timeoutMs` in the same round trip, and throw
   * `store_unavailable` (or call `onShortfall`) when fewer replicas acknowledged. See the
   * README ("Durable login, logout and revocation").
   * @default undefined (no WAIT: a failover may lose the last acknowledged writes)
   */
  readonly durability?: RedisDurability;
  /**
   * Secret for the routing tag in tokens: a user's tag is HMAC-SHA-256(tagSecret, userId)
   * truncated to 4 base36 characters, so a token reveals nothing about its user. At least
   * 32 bytes (a string is taken as UTF-8); keep it like a signing key. Required on Cluster
   * (a user's sessions and index must share a slot). Changing it signs every user out.
   * See the README ("Routing tags").
   * @default undefined (no tag in tokens: standalone and Sentinel only)
   */
  readonly tagSecret?: string | Uint8Array;
  /**
   * Most bytes of data one session may hold (UTF-8 bytes of every key plus its JSON text):
   * create, login and update refuse a record past it with `SessionError('session_too_large')`,
   * the update inside its script, so concurrent writers and other apps on this Redis cannot
   * grow one either. The core's `maxDataBytes` may not be above it. @default 65536 (64 KiB)
   */
  readonly maxDataBytes?: number;
  /** Most top-level data keys one session may hold; past it like `maxDataBytes`. @default 256 */
  readonly maxKeys?: number;
  /**
   * Keep recently read sessions in this process, so a read inside the touch interval makes
   * no round trip; kept correct by Redis' server-assisted invalidation (one connection of the
   * store's own per master, closed by `close()`). `{}` for the defaults. Revocation by
   * another process then takes effect here within `maxStalenessMs` at worst. See the README
   * ("Near cache") and SECURITY.md.
   * @default undefined (off: every read is one round trip)
   */
  readonly nearCache?: NearCacheOptions;
}

export const REDIS_STORE_DEFAULTS = Object.freeze({ keyPrefix: 'tessera:', timeoutMs: 2000 });

const CAPABILITIES: StoreCapabilities = Object.freeze({
  atomicMerge: true,
  atomicRotate: true,
  noResurrect: true,
});

function isScriptClient(client: unknown): client is ScriptClient {
  const c = client as Partial<ScriptClient> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.evalsha === 'function' &&
    typeof c.eval === 'function' &&
    typeof c.once === 'function' &&
    typeof c.status === 'string'
  );
}

/** The LOAD script's reply: '0' or '1', then the record's fields as a JSON array. */
function parseLoadReply(reply: string): unknown[] | undefined {
  if (reply[0] !== '0' && reply[0] !== '1') return undefined;
  try {
    const flat: unknown = JSON.parse(reply.slice(1));
    return Array.isArray(flat) ? flat : undefined;
  } catch {
    return undefined;
  }
}

/** Create the Redis store. Options are validated here, once. */
export function redisStore(options: RedisStoreOptions): SessionStore {
  return new RedisStore(options);
}

const WHO = '[tessera] [redis] ';

class RedisStore implements SessionStore {
  readonly name = 'redis';
  readonly capabilities = CAPABILITIES;
  readonly limits: DataLimits;
  readonly #limitArgs: readonly [string, string];
  readonly #prefix: string;
  readonly #runner: ScriptRunner;
  readonly #cluster: boolean;
  readonly #tags: ShardTags;
  readonly #durability: RedisDurability | undefined;
  /** The client's own keyPrefix: invalidations name keys as the server sees them. */
  readonly #clientPrefix: string;
  readonly #near: NearCache | undefined;
  readonly #closeNear: (() => Promise<void>) | undefined;

  constructor(options: RedisStoreOptions) {
    if (!isScriptClient(options?.client)) {
      throw new SessionError(
        'invalid_config',
        '[tessera] [redis] `client` must be an ioredis Redis or Cluster instance (new Redis(url) or new Cluster(nodes))',
      );
    }
    this.#prefix = validatePrefix(options.keyPrefix ?? REDIS_STORE_DEFAULTS.keyPrefix, '`keyPrefix`');
    const clientPrefix = (options.client as { options?: { keyPrefix?: unknown } }).options?.keyPrefix;
    if (typeof clientPrefix === 'string' && clientPrefix !== '')
      validatePrefix(clientPrefix, "the client's `keyPrefix`");
    this.#clientPrefix = typeof clientPrefix === 'string' ? clientPrefix : '';
    const timeoutMs = options.timeoutMs ?? REDIS_STORE_DEFAULTS.timeoutMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new SessionError(
        'invalid_config',
        `[tessera] [redis] \`timeoutMs\` must be a positive number of milliseconds, got ${timeoutMs}`,
      );
    }
    this.#durability = validateDurability(options.durability);
    if (this.#durability && typeof (options.client as { pipeline?: unknown }).pipeline !== 'function') {
      throw new SessionError(
        'invalid_config',
        '[tessera] [redis] `durability` needs a client with pipeline() (ioredis)',
      );
    }
    this.limits = resolveDataLimits(options, WHO);
    this.#limitArgs = [String(this.limits.maxDataBytes), String(this.limits.maxKeys)];
    this.#cluster = options.client.isCluster === true;
    this.#tags = shardTags({
      store: 'redis',
      secret: options.tagSecret,
      neededFor: this.#cluster ? 'a Redis Cluster' : undefined,
    });
    this.#runner = new ScriptRunner(options.client, timeoutMs);
    if (options.nearCache !== undefined) {
      const near = openNearCache(options.nearCache, options.client, this.#clientPrefix + this.#prefix);
      this.#near = near.cache;
      this.#closeNear = near.close;
    }
  }

  /** Closes the near cache's own connections, if any; never the client. */
  async close(): Promise<void> {
    await this.#closeNear?.();
  }

  /** The session hash's name as the server (and so an invalidation message) spells it. */
  #cacheKey(key: SessionKey): string {
    return `${this.#clientPrefix}${this.#base(key.tag)}s:${key.id}`;
  }

  /**
   * A write through this store: its keys (and, for `userId`, every session of that user) are
   * dropped before it is sent, so no request here is served the old value while it runs,
   * and again when it settles, so no read that raced it caches what it replaced.
   */
  async #changing<T>(
    keys: readonly SessionKey[],
    userId: string | null,
    write: () => Promise<T>,
  ): Promise<T> {
    const near = this.#near;
    if (near === undefined) return write();
    const drop = () => {
      for (const k of keys) near.invalidate(this.#cacheKey(k));
      if (userId !== null) near.invalidateUser(userId);
    };
    drop();
    try {
      return await write();
    } finally {
      drop();
    }
  }

  shardTag(userId: string | null): string {
    return this.#tags.of(userId);
  }

  #base(tag: string): string {
    return baseKey(this.#prefix, tag);
  }

  async load(key: SessionKey, options: LoadOptions): Promise<LoadResult> {
    if (!this.#validTag(key.tag)) return { status: 'missing' };
    const near = this.#near;
    if (near === undefined) return this.#load(key, options);
    const cacheKey = this.#cacheKey(key);
    const cached = near.get(cacheKey);
    // A touch that is due is a write: it goes to Redis, as without the cache. The core
    // checks the idle and absolute deadlines from the cached timestamps, as from any read.
    if (cached !== undefined && options.now - cached.lastSeenAt < options.touchIntervalMs)
      return { status: 'found', session: cached, touched: false };
    const ticket = near.begin(cacheKey);
    let result: LoadResult | undefined;
    try {
      result = await this.#load(key, options);
      return result;
    } finally {
      near.end(ticket, result?.status === 'found' ? result.session : undefined);
    }
  }

  async #load(key: SessionKey, options: LoadOptions): Promise<LoadResult> {
    const reply = await this.#runner.run(
      SCRIPTS.load,
      [this.#base(key.tag)],
      [key.id, String(options.now), String(options.touchIntervalMs)],
    );
    if (reply === null) return { status: 'missing' };
    if (typeof reply !== 'string') return { status: 'corrupt', detail: 'unexpected reply' };
    const flat = parseLoadReply(reply);
    if (flat === undefined) return { status: 'corrupt', detail: 'unexpected reply' };
    const session = decodeSession(flat);
    if (typeof session === 'string') return { status: 'corrupt', detail: session };
    // A user's session under another tag than the user's (minted before `tagSecret` was set
    // or changed) is not in the index that listing and revoke-all read: it must not be usable.
    // It stays stored until its TTL, unreachable, and is listed again if the secret returns.
    if (!this.#tags.owns(key.tag, session.userId)) return { status: 'missing' };
    return { status: 'found', session, touched: reply.charCodeAt(0) === 49 /* '1' */ };
  }

  async create(key: SessionKey, session: StoredSession, options: StoreCallOptions): Promise<boolean> {
    this.#checkTag(key);
    checkDataLimits(session.data, this.limits, WHO);
    const ttl = expiresAtOf(session) - options.now;
    // Already expired: nothing would ever read it back, so store nothing.
    if (ttl <= 0) return true;
    const reply = await this.#changing([key], null, () =>
      this.#runner.run(
        SCRIPTS.create,
        [this.#base(key.tag)],
        [key.id, String(ttl), ...encodeSession(session)],
      ),
    );
    return reply === 1;
  }

  async update(key: SessionKey, patch: SessionPatch, options: StoreCallOptions): Promise<UpdateResult> {
    if (!this.#validTag(key.tag)) return 'missing';
    const reply = await this.#changing([key], null, () =>
      this.#runner.run(
        SCRIPTS.update,
        [this.#base(key.tag)],
        [key.id, String(options.now), ...this.#limitArgs, ...encodePatch(patch)],
      ),
    );
    if (reply === 2) {
      throw new SessionError(
        'session_too_large',
        `${WHO}the session's data after this update would be over ${this.limits.maxDataBytes} bytes or ${this.limits.maxKeys} keys; nothing was written.`,
      );
    }
    return reply === 1 ? 'ok' : 'missing';
  }

  async destroy(key: SessionKey, options: DestroyOptions): Promise<boolean> {
    if (!this.#validTag(key.tag)) return false;
    const reply = await this.#changing([key], null, () =>
      this.#write(
        'logout',
        SCRIPTS.destroy,
        [this.#base(key.tag)],
        [key.id, options.userId ?? ''],
        (r) => r === 1,
      ),
    );
    return reply === 1;
  }

  async rotate(input: RotateInput): Promise<RotateResult> {
    const { from, to } = input;
    this.#checkTag(to.key);
    checkDataLimits(to.session.data, this.limits, WHO);
    if (from !== null && !this.#validTag(from.key.tag)) return { status: 'conflict' };
    // The index is found by the user's tag: a session under any other tag would be unlisted
    // (and, on Cluster, in another slot than its index).
    if (!this.#tags.owns(to.key.tag, to.session.userId)) {
      throw new SessionError(
        'invalid_state',
        "[tessera] [redis] a user's session key tag must be store.shardTag(userId) (mint the token with store.shardTag)",
      );
    }
    // The user: a login may evict other sessions of theirs, unnamed until the reply.
    return this.#changing(from === null ? [to.key] : [from.key, to.key], to.session.userId, async () => {
      if (this.#cluster && from !== null && from.key.tag !== to.key.tag)
        return this.#rotateAcrossSlots(input);
      const reply = await this.#write(
        'login',
        SCRIPTS.rotate,
        [this.#base(to.key.tag), this.#base(from?.key.tag ?? to.key.tag)],
        this.#rotateArgs(input, from?.key.id ?? '', from?.userId ?? ''),
        (r) => parseRotate(r).status === 'ok',
      );
      return parseRotate(reply);
    });
  }

  /**
   * Cluster only: `from` and `to` live in different slots, so no single script sees both.
   * Step 1 creates `to` (cap and index included; `limit` changes nothing). Step 2 consumes
   * `from` only if it still exists; if a concurrent rotation consumed it first, step 3
   * removes `to` again and the answer is `conflict`. So at most one rotation of a token
   * ever wins. What is not undone: sessions evicted in step 1 by a rotation that then
   * conflicts, and for a moment between steps both tokens are valid.
   */
  async #rotateAcrossSlots(input: RotateInput): Promise<RotateResult> {
    const { from, to, now } = input;
    if (from === null) throw new Error('unreachable');
    const created = parseRotate(
      await this.#write(
        'login',
        SCRIPTS.rotate,
        [this.#base(to.key.tag), this.#base(to.key.tag)],
        this.#rotateArgs(input, '', ''),
        (r) => parseRotate(r).status === 'ok',
      ),
    );
    if (created.status !== 'ok') return created;
    const consumed = await this.#write(
      'login',
      SCRIPTS.consume,
      [this.#base(from.key.tag)],
      [from.key.id, from.userId ?? '', String(now)],
      (r) => r === 1,
    );
    if (consumed === 1) return created;
    await this.#runner.run(SCRIPTS.destroy, [this.#base(to.key.tag)], [to.key.id, to.session.userId ?? '']);
    return { status: 'conflict' };
  }

  /**
   * A login, logout or revocation: with `durability`, the script and WAIT in one round trip,
   * and the acknowledgement checked only when the script changed something (`wrote`).
   */
  async #write(
    operation: DurabilityShortfall['operation'],
    script: Script,
    keys: readonly string[],
    args: readonly string[],
    wrote: (reply: unknown) => boolean,
  ): Promise<unknown> {
    const d = this.#durability;
    if (!d) return this.#runner.run(script, keys, args);
    const { reply, acknowledged } = await this.#runner.runDurable(
      script,
      keys,
      args,
      d.replicas,
      d.timeoutMs,
    );
    if (wrote(reply)) checkAcknowledged(d, operation, acknowledged);
    return reply;
  }

  #rotateArgs(input: RotateInput, fromId: string, fromUser: string): string[] {
    const { to, now, limit } = input;
    const s = to.session;
    return [
      String(now),
      to.key.id,
      String(expiresAtOf(s) - now),
      fromId,
      fromUser,
      s.userId ?? '',
      String(limit === null || s.userId === null ? -1 : limit.max),
      limit?.onLimit ?? 'evict-oldest',
      String(s.createdAt),
      String(s.absoluteExpiresAt),
      ...encodeSession(s),
    ];
  }

  async listUserSessions(userId: string, options: StoreCallOptions): Promise<readonly StoredSessionInfo[]> {
    const tag = this.#tags.of(userId);
    const reply = await this.#runner.run(SCRIPTS.list, [this.#base(tag)], [userId, String(options.now)]);
    const out: StoredSessionInfo[] = [];
    for (const row of Array.isArray(reply) ? (reply as unknown[]) : []) {
      if (!Array.isArray(row) || typeof row[0] !== 'string' || !Array.isArray(row[1])) continue;
      const s = decodeSession(row[1] as unknown[]);
      // The script only returns records it could judge live, so this always parses; an
      // unparsable one is left out rather than guessed at.
      if (typeof s === 'string') continue;
      out.push(storedSessionInfoOf(s, { id: row[0], tag }));
    }
    return out;
  }

  async revokeUserSessions(userId: string, options: RevokeOptions): Promise<number> {
    checkRevokeOptions(options);
    const { only, except } = options;
    const [mode, arg] =
      only !== undefined ? ['only', only] : except !== undefined ? ['except', except.id] : ['all', ''];
    const reply = await this.#changing([], userId, () =>
      this.#write(
        'revoke',
        SCRIPTS.revoke,
        [this.#base(this.#tags.of(userId))],
        [userId, String(options.now), mode, arg],
        (r) => typeof r === 'number' && r > 0,
      ),
    );
    return typeof reply === 'number' ? reply : 0;
  }

  #validTag(tag: string): boolean {
    return isValidTag(tag, this.#cluster);
  }

  #checkTag(key: SessionKey): void {
    if (!this.#validTag(key.tag)) {
      throw new SessionError(
        'invalid_state',
        `[tessera] [redis] a new key's tag must come from store.shardTag() ([0-9a-z]{1,16}, or '' off Cluster), got ${JSON.stringify(key.tag)}`,
      );
    }
  }
}

function parseRotate(reply: unknown): RotateResult {
  if (!Array.isArray(reply)) return { status: 'conflict' };
  if (reply[0] === 'limit') return { status: 'limit' };
  if (reply[0] !== 'ok') return { status: 'conflict' };
  const handles = Array.isArray(reply[1]) ? (reply[1] as unknown[]) : [];
  return {
    status: 'ok',
    evicted: handles.filter((h): h is string => typeof h === 'string').map((handle) => ({ handle })),
  };
}
