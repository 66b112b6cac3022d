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
  handleOf,
  type LoadOptions,
  type LoadResult,
  type RevokeOptions,
  type RotateInput,
  type RotateResult,
  SessionError,
  type SessionKey,
  type SessionPatch,
  type SessionStore,
  type ShardTags,
  type StoreCallOptions,
  type StoreCapabilities,
  type StoredSession,
  type StoredSessionInfo,
  storedSessionInfoOf,
  type UpdateResult,
} from '@tessera/session-core';
import type { Cluster, Redis } from 'ioredis';
import { checkAcknowledged, type DurabilityShortfall, type RedisDurability } from './durability.js';
import { decodeSession, encodePatch, encodeSession } from './internal/codec.js';
import { baseKey, isValidTag } from './internal/keys.js';
import { flatHash, parseLoadReply, parseRotate } from './internal/replies.js';
import { ScriptRunner } from './internal/runner.js';
import { SCRIPTS, type Script } from './internal/scripts.js';
import { StoreNearCache } from './near-cache-binding.js';
import { type RedisStoreOptions, resolveRedisOptions, WHO } from './redis-options.js';
import { RedisThrottleCounters } from './throttle-counters.js';

export { REDIS_STORE_DEFAULTS, type RedisStoreOptions } from './redis-options.js';

const CAPABILITIES: StoreCapabilities = Object.freeze({
  atomicMerge: true,
  atomicRotate: true,
  noResurrect: true,
});

/** Create the Redis store. Options are validated here, once. */
export function redisStore(options: RedisStoreOptions): SessionStore {
  return new RedisStore(options);
}

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
  readonly #near: StoreNearCache | undefined;
  readonly throttle: RedisThrottleCounters;

  constructor(options: RedisStoreOptions) {
    const resolved = resolveRedisOptions(options);
    this.#prefix = resolved.prefix;
    this.#durability = resolved.durability;
    this.limits = resolved.limits;
    this.#limitArgs = [String(this.limits.maxDataBytes), String(this.limits.maxKeys)];
    this.#cluster = resolved.cluster;
    this.#tags = resolved.tags;
    this.#runner = new ScriptRunner(resolved.store, resolved.timeoutMs);
    this.throttle = new RedisThrottleCounters(this.#runner, this.#prefix, this.#cluster);
    if (options.nearCache !== undefined)
      this.#near = new StoreNearCache(
        options.nearCache,
        resolved.client as unknown as Redis | Cluster,
        resolved.clientPrefix,
        resolved.prefix,
      );
  }

  /**
   * Closes the store's own connections (the near cache's, and `durability`'s lane), if any;
   * never the client. A durable write after this fails with store_unavailable.
   */
  async close(): Promise<void> {
    this.#runner.close();
    await this.#near?.close();
  }

  /** A write through this store, with the near cache (if on) dropping what it changes. */
  async #changing<T>(
    keys: readonly SessionKey[],
    userId: string | null,
    write: () => Promise<T>,
  ): Promise<T> {
    const near = this.#near;
    if (near === undefined) return write();
    return near.changing(keys, userId, write);
  }

  shardTag(userId: string | null): string {
    return this.#tags.of(userId);
  }

  #base(tag: string): string {
    return baseKey(this.#prefix, tag);
  }

  /** Not `async`: a near-cache hit answers with an already-resolved promise, no extra layer. */
  load(key: SessionKey, options: LoadOptions): Promise<LoadResult> {
    try {
      if (!this.#validTag(key.tag)) return Promise.resolve({ status: 'missing' });
      const near = this.#near;
      if (near === undefined) return this.#load(key, options);
      const hit = near.cached(key, options);
      if (hit !== undefined) return Promise.resolve(hit);
      return near.read(key, () => this.#load(key, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * A plain HGETALL; the core checks the deadlines from what it returns. Only when a touch is
   * due (once per `touchIntervalMs` of a session) does a second round trip run LOAD, which
   * reads the session again and touches it in one step; its answer is the read's.
   */
  async #load(key: SessionKey, options: LoadOptions): Promise<LoadResult> {
    const reply = await this.#runner.hgetall('load', `${this.#base(key.tag)}s:${key.id}`);
    const flat = flatHash(reply);
    if (flat === undefined) return { status: 'corrupt', detail: 'unexpected reply' };
    if (flat.length === 0) return { status: 'missing' };
    const found = this.#decode(key, flat, false);
    const { now, touchIntervalMs } = options;
    // Expired: handed back untouched; the core reports why and destroys it, so a clock that
    // later steps backwards cannot revive it. Inside the touch interval: nothing to write.
    if (found.status !== 'found') return found;
    const s = found.session;
    if (now >= expiresAtOf(s) || now - s.lastSeenAt < touchIntervalMs) return found;
    const loaded = await this.#runner.run(
      SCRIPTS.load,
      [this.#base(key.tag)],
      [key.id, String(now), String(touchIntervalMs)],
    );
    if (loaded === null) return { status: 'missing' };
    if (typeof loaded !== 'string') return { status: 'corrupt', detail: 'unexpected reply' };
    const again = parseLoadReply(loaded);
    if (again === undefined) return { status: 'corrupt', detail: 'unexpected reply' };
    return this.#decode(key, again, loaded.charCodeAt(0) === 49 /* '1' */);
  }

  #decode(key: SessionKey, flat: readonly unknown[], touched: boolean): LoadResult {
    const session = decodeSession(flat, handleOf(key));
    if (typeof session === 'string') return { status: 'corrupt', detail: session };
    // A user's session under another tag than the user's (minted before `tagSecret` was set
    // or changed) is not in the index that listing and revoke-all read: it must not be usable.
    // It stays stored until its TTL, unreachable, and is listed again if the secret returns.
    if (!this.#tags.owns(key.tag, session.userId)) return { status: 'missing' };
    return { status: 'found', session, touched };
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
        [key.id, String(ttl), ...encodeSession(session, handleOf(key))],
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
      ...encodeSession(s, handleOf(to.key)),
    ];
  }

  async listUserSessions(userId: string, options: StoreCallOptions): Promise<readonly StoredSessionInfo[]> {
    const tag = this.#tags.of(userId);
    const reply = await this.#runner.run(SCRIPTS.list, [this.#base(tag)], [userId, String(options.now)]);
    const out: StoredSessionInfo[] = [];
    for (const row of Array.isArray(reply) ? (reply as unknown[]) : []) {
      if (!Array.isArray(row) || typeof row[0] !== 'string' || !Array.isArray(row[1])) continue;
      const key = { id: row[0], tag };
      const s = decodeSession(row[1] as unknown[], handleOf(key));
      // The script only returns records it could judge live, so this always parses; an
      // unparsable one is left out rather than guessed at.
      if (typeof s === 'string') continue;
      out.push(storedSessionInfoOf(s, key));
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
