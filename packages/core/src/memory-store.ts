/**
 * The embedded store: bounded (LRU), expiring, with the per-user index and an exact cap.
 * Every operation runs synchronously inside one call, so on one process each is atomic.
 * It forgets everything on restart and is per-process: for development, tests and
 * single-instance tools, not for a fleet. It warns once under NODE_ENV=production.
 *
 * The bound: anonymous sessions cost an attacker one request each, so they have their own
 * cap and are evicted first; a signed-in session is evicted only to make room for another
 * signed-in one. Two insertion-ordered Maps (oldest first) keep every step O(1).
 */
import { SessionError } from './errors.js';
import {
  checkDataLimits,
  type DataLimits,
  entryBytes,
  exceeds,
  resolveDataLimits,
  tooLarge,
} from './limits.js';
import { type Logger, resolveLogger } from './logger.js';
import type {
  DestroyOptions,
  LoadOptions,
  LoadResult,
  RevokeOptions,
  RotateInput,
  RotateResult,
  SessionKey,
  SessionPatch,
  SessionStore,
  StoreCallOptions,
  StoreCapabilities,
  StoredSession,
  StoredSessionInfo,
  UpdateResult,
} from './store.js';
import { checkRevokeOptions, expiresAtOf, storedSessionInfoOf } from './store.js';
import { MemoryThrottleCounters } from './throttle/memory-counters.js';

export interface MemoryStoreOptions {
  /**
   * Most sessions kept. Beyond it the least recently used anonymous session is dropped, or,
   * when there is none and the new session is signed in, the least recently used signed-in
   * one. When signed-in sessions alone fill it, creating an anonymous session is refused
   * (`store_unavailable`, 503) until one ends. @default 10000
   */
  readonly maxEntries?: number;
  /**
   * Most anonymous sessions kept, within `maxEntries`; beyond it the least recently used
   * anonymous one is dropped. An anonymous flood then only ever evicts anonymous sessions.
   * @default half of maxEntries (5000)
   */
  readonly maxAnonymousEntries?: number;
  /** Warn once when NODE_ENV=production. @default true */
  readonly warnInProduction?: boolean;
  /** Where the production warning goes (`warn`); `false` for nowhere. @default console */
  readonly logger?: Logger | false;
  /** Most bytes of data per session (keys plus JSON texts, UTF-8); bigger writes are refused. @default 65536 */
  readonly maxDataBytes?: number;
  /** Most top-level data keys per session; more are refused. @default 256 */
  readonly maxKeys?: number;
  /**
   * Most login throttle counters kept (one per account and per address with recent failures);
   * beyond it the counter with the oldest failure is forgotten. @default 100000
   */
  readonly maxThrottleCounters?: number;
}

interface Entry {
  session: StoredSession;
  data: Map<string, string>;
  tag: string;
}

const CAPABILITIES: StoreCapabilities = Object.freeze({
  atomicMerge: true,
  atomicRotate: true,
  noResurrect: true,
});

let warned = false;
const WHO = '[tessera] [memory] ';

function toData(data: Map<string, string>): Readonly<Record<string, string>> {
  // Null prototype: a stored key named "__proto__" stays a plain key.
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of data) out[k] = v;
  return out;
}

export class MemoryStore implements SessionStore {
  readonly name = 'memory';
  readonly limits: DataLimits;
  readonly capabilities = CAPABILITIES;
  readonly throttle: MemoryThrottleCounters;
  /** Least recently used first, one Map per kind: a session never changes kind (login rotates). */
  readonly #anonymous = new Map<string, Entry>();
  readonly #signedIn = new Map<string, Entry>();
  readonly #users = new Map<string, Set<string>>();
  readonly #maxEntries: number;
  readonly #maxAnonymous: number;
  #writes = 0;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(options: MemoryStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new TypeError(`[tessera] [memory] maxEntries must be a positive integer, got ${maxEntries}.`);
    }
    const maxAnonymous = options.maxAnonymousEntries ?? Math.max(1, Math.floor(maxEntries / 2));
    if (!Number.isInteger(maxAnonymous) || maxAnonymous < 1 || maxAnonymous > maxEntries) {
      throw new TypeError(
        `[tessera] [memory] maxAnonymousEntries must be an integer from 1 to maxEntries (${maxEntries}), got ${maxAnonymous}.`,
      );
    }
    const logger = resolveLogger(options.logger, 'MemoryStore logger');
    this.#maxEntries = maxEntries;
    this.#maxAnonymous = maxAnonymous;
    this.limits = resolveDataLimits(options, WHO);
    const maxCounters = options.maxThrottleCounters ?? 100_000;
    if (!Number.isInteger(maxCounters) || maxCounters < 1) {
      throw new TypeError(
        `[tessera] [memory] maxThrottleCounters must be a positive integer, got ${maxCounters}.`,
      );
    }
    this.throttle = new MemoryThrottleCounters(maxCounters);
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    if ((options.warnInProduction ?? true) && logger && env?.NODE_ENV === 'production' && !warned) {
      warned = true;
      logger.warn(
        '[tessera] [memory] MemoryStore is in use with NODE_ENV=production: sessions live in one process, ' +
          'vanish on restart and are not shared between instances. Use the Redis, Postgres or Memcached store.',
      );
    }
  }

  /** Number of stored sessions (live or not yet swept). */
  get size(): number {
    return this.#anonymous.size + this.#signedIn.size;
  }

  async load(key: SessionKey, options: LoadOptions): Promise<LoadResult> {
    const expired = this.#get(key.id);
    if (expired && options.now >= expiresAtOf(expired.session)) {
      // Hand it over untouched so the core can say why it expired (it then destroys it).
      return { status: 'found', session: { ...expired.session, data: toData(expired.data) }, touched: false };
    }
    const entry = this.#live(key.id, options.now);
    if (!entry) return { status: 'missing' };
    // Refresh LRU position.
    const lru = this.#lruOf(entry);
    lru.delete(key.id);
    lru.set(key.id, entry);
    let touched = false;
    if (options.now - entry.session.lastSeenAt >= options.touchIntervalMs) {
      entry.session = { ...entry.session, lastSeenAt: options.now };
      touched = true;
    }
    return { status: 'found', session: { ...entry.session, data: toData(entry.data) }, touched };
  }

  async create(key: SessionKey, session: StoredSession, options: StoreCallOptions): Promise<boolean> {
    checkDataLimits(session.data, this.limits, WHO);
    if (this.#live(key.id, options.now)) return false;
    if (session.userId === null) this.#assertRoomForAnonymous(options.now, null);
    this.#insert(key, session, options.now);
    return true;
  }

  async update(key: SessionKey, patch: SessionPatch, options: StoreCallOptions): Promise<UpdateResult> {
    const entry = this.#live(key.id, options.now);
    if (!entry) return 'missing';
    const set = Object.keys(patch.set);
    if (set.length > 0) this.#checkPatch(entry.data, patch, set);
    for (const k of set) entry.data.set(k, patch.set[k]!);
    for (const k of patch.unset) entry.data.delete(k);
    return 'ok';
  }

  async rotate(input: RotateInput): Promise<RotateResult> {
    const { now, from, to, limit } = input;
    checkDataLimits(to.session.data, this.limits, WHO);
    if (from && !this.#live(from.key.id, now)) return { status: 'conflict' };
    const userId = to.session.userId;
    if (userId === null) this.#assertRoomForAnonymous(now, from?.key.id ?? null);
    const evicted: { handle: string }[] = [];
    if (userId !== null && limit) {
      const live = this.#userSessions(userId, now).filter((e) => !from || e.id !== from.key.id);
      if (live.length >= limit.max) {
        if (limit.onLimit === 'reject') return { status: 'limit' };
        live.sort((a, b) => a.entry.session.createdAt - b.entry.session.createdAt);
        for (const victim of live.slice(0, live.length - limit.max + 1)) {
          this.#remove(victim.id);
          evicted.push({ handle: victim.entry.session.handle });
        }
      }
    }
    if (from) this.#remove(from.key.id);
    this.#insert(to.key, to.session, now);
    return { status: 'ok', evicted };
  }

  async destroy(key: SessionKey, options: DestroyOptions): Promise<boolean> {
    const existed = this.#live(key.id, options.now) !== undefined;
    this.#remove(key.id);
    return existed;
  }

  async listUserSessions(userId: string, options: StoreCallOptions): Promise<readonly StoredSessionInfo[]> {
    return this.#userSessions(userId, options.now)
      .map(({ id, entry }) => storedSessionInfoOf(entry.session, { id, tag: entry.tag }))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async revokeUserSessions(userId: string, options: RevokeOptions): Promise<number> {
    checkRevokeOptions(options);
    const { only, except } = options;
    let n = 0;
    for (const { id, entry } of this.#userSessions(userId, options.now)) {
      if (only !== undefined ? entry.session.handle !== only : except?.id === id) continue;
      this.#remove(id);
      n++;
    }
    return n;
  }

  /** Drop every session (tests). */
  clear(): void {
    this.#anonymous.clear();
    this.#signedIn.clear();
    this.#users.clear();
  }

  #get(id: string): Entry | undefined {
    return this.#anonymous.get(id) ?? this.#signedIn.get(id);
  }

  #lruOf(entry: Entry): Map<string, Entry> {
    return entry.session.userId === null ? this.#anonymous : this.#signedIn;
  }

  /**
   * Signed-in sessions alone fill the store: an anonymous session could only get in by
   * evicting one of them, which is what a flood of anonymous requests wants. Refuse it,
   * before anything changed. `leaving` is a session the operation removes first.
   */
  #assertRoomForAnonymous(now: number, leaving: string | null): void {
    const full = () =>
      this.#signedIn.size - (leaving !== null && this.#signedIn.has(leaving) ? 1 : 0) >= this.#maxEntries &&
      this.#anonymous.size - (leaving !== null && this.#anonymous.has(leaving) ? 1 : 0) === 0;
    if (!full()) return;
    // Expired sessions may be holding the room; look at most once a second (a sweep is O(n)).
    if (now - this.#lastSweep >= 1000) this.#sweep(now);
    if (!full()) return;
    throw new SessionError(
      'store_unavailable',
      `[tessera] [memory] full: ${this.#signedIn.size} signed-in sessions fill maxEntries (${this.#maxEntries}); ` +
        'no anonymous session is created until one ends. Raise maxEntries, or use the Redis, Postgres or Memcached store.',
    );
  }

  /** The data after `patch`, measured before anything of it is applied. */
  #checkPatch(data: Map<string, string>, patch: SessionPatch, set: readonly string[]): void {
    const size = { bytes: 0, keys: 0 };
    const unset = new Set(patch.unset);
    for (const [k, v] of data) {
      if (Object.hasOwn(patch.set, k) || unset.has(k)) continue;
      size.bytes += entryBytes(k, v);
      size.keys++;
    }
    for (const k of set) {
      size.bytes += entryBytes(k, patch.set[k]!);
      size.keys++;
    }
    if (exceeds(size, this.limits)) throw tooLarge(size, this.limits, WHO);
  }

  #live(id: string, now: number): Entry | undefined {
    const entry = this.#get(id);
    if (!entry) return undefined;
    if (now >= expiresAtOf(entry.session)) {
      this.#remove(id);
      return undefined;
    }
    return entry;
  }

  #userSessions(userId: string, now: number): { id: string; entry: Entry }[] {
    const ids = this.#users.get(userId);
    if (!ids) return [];
    const out: { id: string; entry: Entry }[] = [];
    for (const id of [...ids]) {
      const entry = this.#live(id, now);
      if (entry) out.push({ id, entry });
      else ids.delete(id);
    }
    return out;
  }

  #insert(key: SessionKey, session: StoredSession, now: number): void {
    const data = new Map<string, string>();
    for (const k of Object.keys(session.data)) data.set(k, session.data[k]!);
    const entry: Entry = { session: { ...session, data: {} }, data, tag: key.tag };
    this.#lruOf(entry).set(key.id, entry);
    if (session.userId !== null) {
      let ids = this.#users.get(session.userId);
      if (!ids) {
        ids = new Set();
        this.#users.set(session.userId, ids);
      }
      ids.add(key.id);
    }
    while (this.#anonymous.size > this.#maxAnonymous) this.#evictOldest(this.#anonymous);
    // Anonymous first. The new session is the newest of its Map, so it is never the one
    // evicted here: a new anonymous one finds another anonymous one to evict, or was refused.
    while (this.size > this.#maxEntries)
      this.#evictOldest(this.#anonymous.size > 0 ? this.#anonymous : this.#signedIn);
    if (++this.#writes % 1024 === 0) this.#sweep(now);
  }

  #evictOldest(lru: Map<string, Entry>): void {
    this.#remove(lru.keys().next().value as string);
  }

  #remove(id: string): void {
    const entry = this.#get(id);
    if (!entry) return;
    this.#lruOf(entry).delete(id);
    const userId = entry.session.userId;
    if (userId !== null) {
      const ids = this.#users.get(userId);
      ids?.delete(id);
      if (ids?.size === 0) this.#users.delete(userId);
    }
  }

  #sweep(now: number): void {
    this.#lastSweep = now;
    for (const lru of [this.#anonymous, this.#signedIn])
      for (const [id, entry] of lru) if (now >= expiresAtOf(entry.session)) this.#remove(id);
  }
}
