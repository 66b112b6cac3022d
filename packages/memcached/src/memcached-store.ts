/**
 * The memcached store. One item per session (`<prefix>s:<id>`, JSON, TTL = expiry) and one
 * index item per user (`<prefix>u:<sha256(userId)>`, JSON list of session ids). Every
 * read-modify-write is a CAS loop with a bounded number of attempts, so concurrent requests
 * never overwrite each other and a write never recreates a deleted item.
 * Routing: a session goes to the server its shard tag (or, without one, its id) hashes to;
 * a user's index goes where `shardTag(userId)` hashes, i.e. next to the user's sessions.
 * The tag is keyed (`tagSecret`), so it says nothing about the user; without a secret there
 * is no tag, which only one server can afford.
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
  type UpdateResult,
} from '@tessera/session-core';
import { decodeSession, encodeSession, exptimeOf, sessionItemKey } from './internal/codec.js';
import { IndexStore } from './internal/index-store.js';
import { backoff, type Ctx, expect } from './internal/ops.js';
import { MemcachedMetaClient } from './meta-client.js';
import { MemcachedThrottleCounters } from './throttle-counters.js';

export interface MemcachedStoreOptions {
  /** Servers as `host:port`; append new ones at the end. Ignored when `client` is given. @default ['127.0.0.1:11211'] */
  readonly servers?: readonly string[];
  /** A client you own (shared between stores, closed by you). @default a client on `servers` */
  readonly client?: MemcachedMetaClient;
  /** Prefix of every item key: printable ASCII, no spaces, at most 64 characters. @default 'tessera:' */
  readonly keyPrefix?: string;
  /** Bound on each round trip when the store makes its own client, ms. @default 1000 */
  readonly timeoutMs?: number;
  /**
   * When the store makes its own client: the commands of one event-loop turn leave in one
   * socket write per server (see `MemcachedMetaClientOptions.coalesceWrites`). @default true
   */
  readonly coalesceWrites?: boolean;
  /**
   * Attempts of a CAS read-modify-write before giving up with `store_unavailable`
   * (only under heavy contention on one session or one user's index). @default 50
   */
  readonly casRetries?: number;
  /**
   * Secret for the routing tag in tokens: a user's tag is HMAC-SHA-256(tagSecret, userId)
   * truncated to 4 base36 characters, so a token reveals nothing about its user. At least 32
   * bytes (a string is taken as UTF-8); keep it like a signing key. Required with more than
   * one server (a user's sessions must sit on the server of the user's index). Changing it
   * signs every user out. @default undefined (no tag in tokens: one server only)
   */
  readonly tagSecret?: string | Uint8Array;
  /**
   * Most bytes of data one session may hold (UTF-8 bytes of every key plus its JSON text):
   * create, login and update refuse an item past it with `SessionError('session_too_large')`,
   * the update on the merged data it CAS-writes, so concurrent writers and other apps on these
   * servers cannot grow one either. Keep it well under the servers' item size (`-I`, 1 MB by
   * default). The core's `maxDataBytes` may not be above it. @default 65536 (64 KiB)
   */
  readonly maxDataBytes?: number;
  /** Most top-level data keys one session may hold; past it like `maxDataBytes`. @default 256 */
  readonly maxKeys?: number;
}

const CAPABILITIES: StoreCapabilities = Object.freeze({
  atomicMerge: true,
  atomicRotate: true,
  noResurrect: true,
});

const WHO = '[tessera] [memcached] ';
const PREFIX = /^[\x21-\x7e]{0,64}$/;

export class MemcachedStore implements SessionStore {
  readonly name = 'memcached';
  readonly capabilities = CAPABILITIES;
  readonly limits: DataLimits;
  readonly client: MemcachedMetaClient;
  readonly #ownsClient: boolean;
  readonly #ctx: Ctx;
  readonly #index: IndexStore;
  readonly #tags: ShardTags;
  readonly throttle: MemcachedThrottleCounters;

  constructor(options: MemcachedStoreOptions = {}) {
    const keyPrefix = options.keyPrefix ?? 'tessera:';
    if (typeof keyPrefix !== 'string' || !PREFIX.test(keyPrefix)) {
      throw new SessionError(
        'invalid_config',
        '[tessera] [memcached] keyPrefix must be at most 64 printable ASCII characters without spaces.',
      );
    }
    const casRetries = options.casRetries ?? 50;
    if (!Number.isInteger(casRetries) || casRetries < 1) {
      throw new SessionError(
        'invalid_config',
        `[tessera] [memcached] casRetries must be a positive integer, got ${casRetries}.`,
      );
    }
    this.limits = resolveDataLimits(options, WHO);
    this.#ownsClient = options.client === undefined;
    this.client =
      options.client ??
      new MemcachedMetaClient({
        ...(options.servers ? { servers: options.servers } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.coalesceWrites !== undefined ? { coalesceWrites: options.coalesceWrites } : {}),
      });
    const servers = this.client.servers.length;
    this.#tags = shardTags({
      store: 'memcached',
      secret: options.tagSecret,
      neededFor: servers > 1 ? `a store on ${servers} memcached servers` : undefined,
    });
    this.#ctx = { client: this.client, prefix: keyPrefix, casRetries };
    this.#index = new IndexStore(this.#ctx, (userId) => this.shardTag(userId));
    this.throttle = new MemcachedThrottleCounters(this.#ctx);
  }

  /** A user's keyed tag (sessions and index share a server), random for anonymous, or '' without a secret. */
  shardTag(userId: string | null): string {
    return this.#tags.of(userId);
  }

  async load(key: SessionKey, options: LoadOptions): Promise<LoadResult> {
    const { now, touchIntervalMs } = options;
    const server = this.#server(key);
    const item = sessionItemKey(this.#ctx.prefix, key.id);
    let last: StoredSession | undefined;
    for (let attempt = 0; attempt < this.#ctx.casRetries; attempt++) {
      if (attempt > 0) await backoff(attempt);
      const [r] = await this.client.exec(server, [{ line: `mg ${item} v c` }]);
      if (r?.code === 'EN') return { status: 'missing' };
      expect(r, ['VA'], 'mg');
      const decoded = decodeSession(r!.value!);
      if (!decoded.ok) return { status: 'corrupt', detail: decoded.detail };
      const s = decoded.value;
      // A user's session under another tag than the user's (minted before `tagSecret` was set
      // or changed) may sit on another server than the index that lists and revokes it: it
      // must not be usable. It stays stored, untouched, until its TTL.
      if (!this.#tags.owns(key.tag, s.userId)) return { status: 'missing' };
      // Expired: hand it back untouched; the core reports why and destroys it, so a clock
      // that later steps backwards cannot revive it.
      if (now >= expiresAtOf(s)) return { status: 'found', session: s, touched: false };
      if (now - s.lastSeenAt < touchIntervalMs) return { status: 'found', session: s, touched: false };
      last = s;
      // Touch: rewrite with CAS so a concurrent update is never overwritten with stale data.
      const touched: StoredSession = { ...s, lastSeenAt: now };
      const bytes = encodeSession(touched);
      const ttl = exptimeOf(expiresAtOf(touched), now);
      const [w] = await this.client.exec(server, [
        { line: `ms ${item} ${bytes.length} T${ttl} C${r!.flags.get('c')}`, data: bytes },
      ]);
      if (w?.code === 'HD') return { status: 'found', session: touched, touched: true };
      if (w?.code === 'NF') return { status: 'missing' };
      expect(w, ['EX'], 'ms');
    }
    // Contention only delays a touch; the read itself succeeded.
    return { status: 'found', session: last!, touched: false };
  }

  async create(key: SessionKey, session: StoredSession, options: StoreCallOptions): Promise<boolean> {
    checkDataLimits(session.data, this.limits, WHO);
    const ttl = exptimeOf(expiresAtOf(session), options.now);
    // Already expired: created, and gone at once (the contract's one rule; not a collision).
    if (ttl === 0) return true;
    const bytes = encodeSession(session);
    const item = sessionItemKey(this.#ctx.prefix, key.id);
    const [r] = await this.client.exec(this.#server(key), [
      { line: `ms ${item} ${bytes.length} T${ttl} ME`, data: bytes },
    ]);
    expect(r, ['HD', 'NS'], 'ms');
    return r!.code === 'HD';
  }

  async update(key: SessionKey, patch: SessionPatch, options: StoreCallOptions): Promise<UpdateResult> {
    const { now } = options;
    const server = this.#server(key);
    const item = sessionItemKey(this.#ctx.prefix, key.id);
    for (let attempt = 0; attempt < this.#ctx.casRetries; attempt++) {
      if (attempt > 0) await backoff(attempt);
      const [r] = await this.client.exec(server, [{ line: `mg ${item} v c` }]);
      if (r?.code === 'EN') return 'missing';
      expect(r, ['VA'], 'mg');
      const decoded = decodeSession(r!.value!);
      if (!decoded.ok || now >= expiresAtOf(decoded.value)) return 'missing';
      const s = decoded.value;
      const data: Record<string, string> = Object.create(null);
      for (const k of Object.keys(s.data)) data[k] = s.data[k]!;
      for (const k of Object.keys(patch.set)) data[k] = patch.set[k]!;
      for (const k of patch.unset) delete data[k];
      // On the merged data this CAS write would store: what concurrent requests added counts.
      if (Object.keys(patch.set).length > 0) checkDataLimits(data, this.limits, WHO);
      const bytes = encodeSession({ ...s, data });
      const ttl = exptimeOf(expiresAtOf(s), now);
      // CAS: fails with NF if the session was deleted meanwhile, so a late write never resurrects it.
      const [w] = await this.client.exec(server, [
        { line: `ms ${item} ${bytes.length} T${ttl} C${r!.flags.get('c')}`, data: bytes },
      ]);
      if (w?.code === 'HD') return 'ok';
      if (w?.code === 'NF') return 'missing';
      expect(w, ['EX'], 'ms');
    }
    throw new SessionError(
      'store_unavailable',
      `[tessera] [memcached] update gave up after ${this.#ctx.casRetries} CAS conflicts on one session; raise casRetries if this is expected load.`,
    );
  }

  async rotate(input: RotateInput): Promise<RotateResult> {
    const { to } = input;
    if (!this.#tags.owns(to.key.tag, to.session.userId)) {
      throw new SessionError(
        'invalid_state',
        "[tessera] [memcached] a user's session key tag must be store.shardTag(userId) (mint the token with store.shardTag)",
      );
    }
    checkDataLimits(input.to.session.data, this.limits, WHO);
    return this.#index.rotate(input);
  }

  async destroy(key: SessionKey, options: DestroyOptions): Promise<boolean> {
    const item = sessionItemKey(this.#ctx.prefix, key.id);
    // The session first, then its index entry: were the index rewritten and the delete lost,
    // a live session would be listed nowhere (no device list, no revoke-all). The other way
    // round a failure leaves only a stale entry, pruned by the next read. One more round trip
    // on logout, the price of that order.
    const [r] = await this.client.exec(this.#server(key), [{ line: `md ${item}` }]);
    expect(r, ['HD', 'NF'], 'md');
    if (options.userId !== null) await this.#index.remove(options.userId, [key.id], options.now);
    return r!.code === 'HD';
  }

  listUserSessions(userId: string, options: StoreCallOptions): Promise<readonly StoredSessionInfo[]> {
    return this.#index.list(userId, options.now);
  }

  async revokeUserSessions(userId: string, options: RevokeOptions): Promise<number> {
    checkRevokeOptions(options);
    const { now, only, except } = options;
    if (only !== undefined) return (await this.#index.revokeOne(userId, only, now)) ? 1 : 0;
    return this.#index.revokeAll(userId, now, except);
  }

  async close(): Promise<void> {
    if (this.#ownsClient) this.client.close();
  }

  #server(key: SessionKey): number {
    return this.client.serverFor(key.tag || key.id);
  }
}

/** A Tessera session store on one or more memcached (>= 1.6) servers. */
export function memcachedStore(options: MemcachedStoreOptions = {}): MemcachedStore {
  return new MemcachedStore(options);
}
