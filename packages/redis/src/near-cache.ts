/**
 * The near cache: recently read sessions kept in this process, so a read inside the touch
 * interval makes no round trip. Correctness rests on four rules, each enforced here:
 * - nothing is served unless the invalidation channel is up (`setUp`), and every change of
 *   that state empties the cache;
 * - an entry dies on an invalidation for its key, on a write through this store, or
 *   `maxStalenessMs` after its read was sent, whichever comes first;
 * - a read only inserts what it read if nothing invalidated its key (or the whole cache)
 *   after the read was sent: otherwise an invalidation that overtook the reply would be
 *   lost and the pre-write value cached (the classic read/invalidate race);
 * - entries are frozen, so no caller can change what another request is served.
 */
import { SessionError, type StoredSession } from '@tessera/session-core';
import type { Cluster, Redis } from 'ioredis';
import { InvalidationChannel } from './internal/invalidation.js';
import { NEAR_CACHE_DEFAULTS, type NearCacheOptions } from './near-cache-options.js';

export { NEAR_CACHE_DEFAULTS, type NearCacheOptions } from './near-cache-options.js';

export interface ResolvedNearCacheOptions {
  readonly maxEntries: number;
  readonly maxStalenessMs: number;
}

export function resolveNearCacheOptions(options: NearCacheOptions): ResolvedNearCacheOptions {
  if (typeof options !== 'object' || options === null) {
    throw new SessionError(
      'invalid_config',
      '[tessera] [redis] `nearCache` must be an object ({} for the defaults)',
    );
  }
  const maxEntries = options.maxEntries ?? NEAR_CACHE_DEFAULTS.maxEntries;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1 || maxEntries > 10_000_000) {
    throw new SessionError(
      'invalid_config',
      `[tessera] [redis] \`nearCache.maxEntries\` must be an integer from 1 to 10000000, got ${maxEntries}`,
    );
  }
  const maxStalenessMs = options.maxStalenessMs ?? NEAR_CACHE_DEFAULTS.maxStalenessMs;
  // A long bound would quietly turn "revoked" into "revoked eventually": refuse it.
  if (!Number.isSafeInteger(maxStalenessMs) || maxStalenessMs < 1 || maxStalenessMs > 60_000) {
    throw new SessionError(
      'invalid_config',
      `[tessera] [redis] \`nearCache.maxStalenessMs\` must be an integer from 1 to 60000 (ms), got ${maxStalenessMs}`,
    );
  }
  return { maxEntries, maxStalenessMs };
}

class Entry {
  constructor(
    readonly session: StoredSession,
    readonly readAt: number,
    /** The cache's `#order` when this entry was put at the young end of the LRU order. */
    public order: number,
  ) {}
}

/** A read in flight: what it must find unchanged at the end to insert its reply. */
export interface Ticket {
  readonly key: string;
  readonly sentAt: number;
  readonly epoch: number;
  readonly generation: number;
}

interface Reading {
  readers: number;
  generation: number;
}

export interface NearCacheStats {
  hits: number;
  misses: number;
  invalidations: number;
  flushes: number;
}

export class NearCache {
  readonly stats: NearCacheStats = { hits: 0, misses: 0, invalidations: 0, flushes: 0 };
  // Map iteration order is insertion order: re-inserting on a hit makes it an LRU (see get).
  readonly #entries = new Map<string, Entry>();
  readonly #reading = new Map<string, Reading>();
  /** Bumped whenever an entry goes to the young end (inserted, or moved on a hit). */
  #order = 0;
  /** A hit moves its entry only once it is this many steps from the young end. */
  readonly #moveAfter: number;
  #epoch = 0;
  #up = false;

  constructor(
    private readonly options: ResolvedNearCacheOptions,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.#moveAfter = Math.floor(options.maxEntries / 2);
  }

  get up(): boolean {
    return this.#up;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The cached session, or undefined (down, absent or older than `maxStalenessMs`).
   *
   * Least recently used goes first, to within half the cache: a hit moves its entry to the
   * young end only once `maxEntries / 2` entries have gone in (or moved) after it, so most
   * hits are one lookup instead of three (the move is a delete and a set, each a hash-table
   * probe that misses the CPU's caches on a busy server). A hit on an entry that is still in
   * the young half leaves it where it is: it is evicted as if read when it went there.
   */
  get(key: string): StoredSession | undefined {
    const entry = this.#up ? this.#entries.get(key) : undefined;
    if (entry === undefined) {
      this.stats.misses++;
      return undefined;
    }
    if (this.clock() - entry.readAt >= this.options.maxStalenessMs) {
      this.#entries.delete(key);
      this.stats.misses++;
      return undefined;
    }
    if (this.#order - entry.order >= this.#moveAfter) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      entry.order = ++this.#order;
    }
    this.stats.hits++;
    return entry.session;
  }

  /** Call before sending a read of `key`; pass the ticket to `end` with what came back. */
  begin(key: string): Ticket {
    let r = this.#reading.get(key);
    if (r === undefined) {
      r = { readers: 0, generation: 0 };
      this.#reading.set(key, r);
    }
    r.readers++;
    return { key, sentAt: this.clock(), epoch: this.#epoch, generation: r.generation };
  }

  /** The read is over: cache `session` only if nothing could have changed it since `begin`. */
  end(ticket: Ticket, session: StoredSession | undefined): void {
    const r = this.#reading.get(ticket.key);
    if (r === undefined) return;
    if (--r.readers === 0) this.#reading.delete(ticket.key);
    if (
      session === undefined ||
      !this.#up ||
      ticket.epoch !== this.#epoch ||
      ticket.generation !== r.generation ||
      this.clock() - ticket.sentAt >= this.options.maxStalenessMs
    ) {
      return;
    }
    this.#entries.delete(ticket.key);
    this.#entries.set(ticket.key, new Entry(freeze(session), ticket.sentAt, ++this.#order));
    if (this.#entries.size > this.options.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  /** Drop `key` and keep every read of it now in flight from caching its reply. */
  invalidate(key: string): void {
    this.stats.invalidations++;
    this.#entries.delete(key);
    const r = this.#reading.get(key);
    if (r !== undefined) r.generation++;
  }

  /**
   * A write that changes sessions it cannot name (revocation by handle or of all of a
   * user's sessions, evictions at login): drop the user's entries and keep every read in
   * flight from caching (its reply may be one of them).
   */
  invalidateUser(userId: string): void {
    this.stats.invalidations++;
    this.#epoch++;
    for (const [key, entry] of this.#entries) {
      if (entry.session.userId === userId) this.#entries.delete(key);
    }
  }

  /** Drop everything, and keep every read in flight from caching. */
  flush(): void {
    this.stats.flushes++;
    this.#epoch++;
    this.#entries.clear();
  }

  /** The invalidation channel's state. Any change flushes; only `up` serves from cache. */
  setUp(up: boolean): void {
    this.flush();
    this.#up = up;
  }
}

function freeze(s: StoredSession): StoredSession {
  Object.freeze(s.data);
  if (s.client !== null) Object.freeze(s.client);
  return Object.freeze(s);
}

/**
 * The cache and its invalidation channel for `client`, tracking keys under `prefix` (the
 * client's keyPrefix plus the store's). Needs a real ioredis client: the channel opens its
 * own connections with `duplicate()`.
 */
export function openNearCache(
  options: NearCacheOptions,
  client: Redis | Cluster,
  prefix: string,
): { cache: NearCache; close: () => Promise<void> } {
  const resolved = resolveNearCacheOptions(options);
  if (typeof (client as { duplicate?: unknown }).duplicate !== 'function') {
    throw new SessionError(
      'invalid_config',
      '[tessera] [redis] `nearCache` needs an ioredis client (it opens its own invalidation connections with duplicate())',
    );
  }
  const cache = new NearCache(resolved);
  const channel = new InvalidationChannel(client, prefix, cache, resolved.maxStalenessMs);
  return { cache, close: () => channel.close() };
}
