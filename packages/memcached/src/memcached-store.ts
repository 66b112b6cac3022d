/**
 * The memcached store. One item per session (`<prefix>s:<id>`, JSON, TTL = expiry) and one
 * index item per user (`<prefix>u:<sha256(userId)>`, JSON list of session ids). Every
 * read-modify-write is a CAS loop with a bounded number of attempts, so concurrent requests
 * never overwrite each other and a write never recreates a deleted item.
 * Routing: a session goes to the server its shard tag (or, without one, its id) hashes to;
 * a user's index goes where `shardTag(userId)` hashes, i.e. next to the user's sessions.
 */
import { randomInt } from 'node:crypto';
import { xxh32 } from '@node-rs/xxhash';
import {
  checkDataLimits,
  type DataLimits,
  type DestroyOptions,
  expiresAtOf,
  type LoadOptions,
  type LoadResult,
  type RotateInput,
  type RotateResult,
  resolveDataLimits,
  SessionError,
  type SessionKey,
  type SessionPatch,
  type SessionStore,
  type StoreCapabilities,
  type StoredSession,
  type UpdateResult,
  type UserSessionInfo,
} from '@tessera/session-core';
import { decodeSession, encodeSession, exptimeOf, sessionItemKey } from './internal/codec.js';
import { IndexStore } from './internal/index-store.js';
import { backoff, type Ctx, expect } from './internal/ops.js';
import { MemcachedMetaClient } from './meta-client.js';

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
   * Attempts of a CAS read-modify-write before giving up with `store_unavailable`
   * (only under heavy contention on one session or one user's index). @default 50
   */
  readonly casRetries?: number;
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
  // memcached may evict the index item or lose its server: then the index under-reports.
  exactIndex: false,
  reportsGone: false,
  mayEvict: true,
  // Sessions live outside the app process; a restart of memcached itself loses them all.
  persistent: true,
});

const B36 = '0123456789abcdefghijklmnopqrstuvwxyz';
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
      });
    this.#ctx = { client: this.client, prefix: keyPrefix, casRetries };
    this.#index = new IndexStore(this.#ctx, (userId) => this.shardTag(userId));
  }

  /** A user's tag is a hash of the id (sessions and index share a server); anonymous: random. */
  shardTag(userId: string | null): string {
    if (userId === null) {
      let tag = '';
      for (let i = 0; i < 8; i++) tag += B36[randomInt(36)];
      return tag;
    }
    return xxh32(userId).toString(36);
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

  async create(key: SessionKey, session: StoredSession, options: { readonly now: number }): Promise<boolean> {
    checkDataLimits(session.data, this.limits, WHO);
    const ttl = exptimeOf(expiresAtOf(session), options.now);
    if (ttl === 0) return false;
    const bytes = encodeSession(session);
    const item = sessionItemKey(this.#ctx.prefix, key.id);
    const [r] = await this.client.exec(this.#server(key), [
      { line: `ms ${item} ${bytes.length} T${ttl} ME`, data: bytes },
    ]);
    expect(r, ['HD', 'NS'], 'ms');
    return r!.code === 'HD';
  }

  async update(
    key: SessionKey,
    patch: SessionPatch,
    options: { readonly now: number },
  ): Promise<UpdateResult> {
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
    checkDataLimits(input.to.session.data, this.limits, WHO);
    return this.#index.rotate(input);
  }

  async destroy(key: SessionKey, options: DestroyOptions): Promise<boolean> {
    const item = sessionItemKey(this.#ctx.prefix, key.id);
    const [[r]] = await Promise.all([
      this.client.exec(this.#server(key), [{ line: `md ${item}` }]),
      options.userId === null ? undefined : this.#index.remove(options.userId, [key.id], options.now),
    ]);
    expect(r, ['HD', 'NF'], 'md');
    return r!.code === 'HD';
  }

  listUserSessions(userId: string, options: { readonly now: number }): Promise<readonly UserSessionInfo[]> {
    return this.#index.list(userId, options.now);
  }

  revokeUserSession(userId: string, handle: string, options: { readonly now: number }): Promise<boolean> {
    return this.#index.revokeOne(userId, handle, options.now);
  }

  revokeUserSessions(
    userId: string,
    options: { readonly now: number; readonly except?: SessionKey },
  ): Promise<number> {
    return this.#index.revokeAll(userId, options.now, options.except);
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
