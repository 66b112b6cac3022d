/**
 * The generic fallback: a full SessionStore built from three calls any key-value service
 * has (get, set with a TTL, delete). Good for a quick custom store; it is honest about what
 * it cannot promise, through its capability flags:
 *
 * - NOT atomic (`atomicMerge: false`): update() is read-modify-write of the whole record, so
 *   two concurrent requests that change different keys can lose one of the writes.
 * - NOT atomic (`atomicRotate: false`): the per-user index is a read-modify-write list, so N
 *   parallel logins can leave more than the cap alive, and two concurrent rotations of one
 *   token can both succeed.
 * - `noResurrect: false`: an update racing a logout can write the record back.
 * - A load that touches costs a second call (get, then set).
 * - A login at the cap reads each indexed session to count only the live ones.
 * - Its login throttle counters are NOT atomic (`throttle.atomic: false`): parallel failures
 *   can be lost, so `createLoginThrottle` refuses them unless `allowNonAtomicCounters: true`.
 * Stores with transactions, scripts or CAS should implement SessionStore directly.
 */
import { checkDataLimits, resolveDataLimits } from './limits.js';
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
  StoreCapabilities,
  StoredSession,
  StoredSessionInfo,
  UpdateResult,
} from './store.js';
import { checkRevokeOptions, expiresAtOf, storedSessionInfoOf } from './store.js';
import { keyValueThrottleCounters } from './throttle/kv-counters.js';

export interface KeyValueStore {
  /** The value, or null/undefined when absent or expired. */
  get(key: string): Promise<string | null | undefined>;
  /** Store with a time to live in milliseconds (always > 0). */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface KeyValueStoreOptions {
  /** Name in logs and errors. @default 'kv' */
  readonly name?: string;
  /** Prefix of every key. @default 'tessera:' */
  readonly prefix?: string;
  /** Most bytes of data per session (keys plus JSON texts, UTF-8); bigger writes are refused. @default 65536 */
  readonly maxDataBytes?: number;
  /** Most top-level data keys per session; more are refused. @default 256 */
  readonly maxKeys?: number;
}

interface IndexEntry {
  id: string;
  tag: string;
  handle: string;
  createdAt: number;
  /**
   * The latest the session can live: its absolute deadline. Not its idle deadline, which
   * every touch moves without rewriting the index: an active session would drop out of the
   * list, the cap and "log out other devices". Entries of sessions that idled out are
   * dropped when an operation reads them back.
   */
  expiresAt: number;
}

const CAPABILITIES: StoreCapabilities = Object.freeze({
  atomicMerge: false,
  atomicRotate: false,
  noResurrect: false,
});

/** Build a SessionStore from get/set/delete. Read the caveats above before using it in production. */
export function fromKeyValueStore(kv: KeyValueStore, options: KeyValueStoreOptions = {}): SessionStore {
  const prefix = options.prefix ?? 'tessera:';
  const name = options.name ?? 'kv';
  const who = `[tessera] [${name}] `;
  const limits = resolveDataLimits(options, who);
  const sKey = (id: string) => `${prefix}s:${id}`;
  const uKey = (userId: string) => `${prefix}u:${encodeURIComponent(userId)}`;

  async function read(id: string): Promise<StoredSession | 'corrupt' | null> {
    const raw = await kv.get(sKey(id));
    if (raw === null || raw === undefined) return null;
    try {
      const parsed = JSON.parse(raw) as StoredSession;
      return parsed && typeof parsed === 'object' ? parsed : 'corrupt';
    } catch {
      return 'corrupt';
    }
  }
  async function write(id: string, s: StoredSession, now: number): Promise<void> {
    await kv.set(sKey(id), JSON.stringify(s), Math.max(1, expiresAtOf(s) - now));
  }
  async function readIndex(userId: string, now: number): Promise<IndexEntry[]> {
    const raw = await kv.get(uKey(userId));
    let list: IndexEntry[] = [];
    try {
      list = raw ? (JSON.parse(raw) as IndexEntry[]) : [];
    } catch {}
    return Array.isArray(list) ? list.filter((e) => e.expiresAt > now) : [];
  }
  async function writeIndex(userId: string, list: IndexEntry[], now: number): Promise<void> {
    if (list.length === 0) return kv.delete(uKey(userId));
    await kv.set(
      uKey(userId),
      JSON.stringify(list),
      Math.max(1, Math.max(...list.map((e) => e.expiresAt)) - now),
    );
  }
  async function live(id: string, now: number): Promise<StoredSession | null> {
    const s = await read(id);
    return s && s !== 'corrupt' && now < expiresAtOf(s) ? s : null;
  }
  async function liveEntries(index: IndexEntry[], now: number): Promise<IndexEntry[]> {
    const out: IndexEntry[] = [];
    for (const e of index) if (await live(e.id, now)) out.push(e);
    return out;
  }

  return {
    name,
    capabilities: CAPABILITIES,
    // Best effort, NOT atomic (see throttle/kv-counters.ts): the throttle refuses them by default.
    throttle: keyValueThrottleCounters(kv, prefix),
    limits,

    async load(key: SessionKey, { now, touchIntervalMs }: LoadOptions): Promise<LoadResult> {
      const s = await read(key.id);
      if (s === 'corrupt') return { status: 'corrupt', detail: 'bad JSON' };
      if (!s) return { status: 'missing' };
      // Expired: hand it back untouched so the core reports why and deletes it.
      if (now >= expiresAtOf(s)) return { status: 'found', session: s, touched: false };
      if (now - s.lastSeenAt < touchIntervalMs) return { status: 'found', session: s, touched: false };
      const touched = { ...s, lastSeenAt: now };
      await write(key.id, touched, now);
      return { status: 'found', session: touched, touched: true };
    },

    async create(key, session, { now }): Promise<boolean> {
      checkDataLimits(session.data, limits, who);
      if (await live(key.id, now)) return false;
      await write(key.id, session, now);
      return true;
    },

    async update(key, patch: SessionPatch, { now }): Promise<UpdateResult> {
      const s = await live(key.id, now);
      if (!s) return 'missing';
      const data: Record<string, string> = Object.create(null);
      for (const k of Object.keys(s.data)) data[k] = s.data[k]!;
      for (const k of Object.keys(patch.set)) data[k] = patch.set[k]!;
      for (const k of patch.unset) delete data[k];
      if (Object.keys(patch.set).length > 0) checkDataLimits(data, limits, who);
      await write(key.id, { ...s, data }, now);
      return 'ok';
    },

    async rotate({ now, from, to, limit }: RotateInput): Promise<RotateResult> {
      checkDataLimits(to.session.data, limits, who);
      if (from && !(await live(from.key.id, now))) return { status: 'conflict' };
      const userId = to.session.userId;
      const evicted: { handle: string }[] = [];
      let index: IndexEntry[] = [];
      if (userId !== null) {
        index = (await readIndex(userId, now)).filter((e) => e.id !== from?.key.id);
        // Entries outlive idle sessions (see IndexEntry): count only the live ones.
        if (limit && index.length >= limit.max) index = await liveEntries(index, now);
        if (limit && index.length >= limit.max) {
          if (limit.onLimit === 'reject') return { status: 'limit' };
          index.sort((a, b) => a.createdAt - b.createdAt);
          for (const victim of index.splice(0, index.length - limit.max + 1)) {
            await kv.delete(sKey(victim.id));
            evicted.push({ handle: victim.handle });
          }
        }
      }
      await write(to.key.id, to.session, now);
      if (from) {
        await kv.delete(sKey(from.key.id));
        if (from.userId !== null && from.userId !== userId) {
          await writeIndex(
            from.userId,
            (await readIndex(from.userId, now)).filter((e) => e.id !== from.key.id),
            now,
          );
        }
      }
      if (userId !== null) {
        const entry = {
          id: to.key.id,
          tag: to.key.tag,
          handle: to.session.handle,
          createdAt: to.session.createdAt,
          expiresAt: to.session.absoluteExpiresAt,
        };
        await writeIndex(userId, [...index, entry], now);
      }
      return { status: 'ok', evicted };
    },

    async destroy(key, { now, userId }: DestroyOptions): Promise<boolean> {
      const existed = (await live(key.id, now)) !== null;
      await kv.delete(sKey(key.id));
      if (userId !== null)
        await writeIndex(
          userId,
          (await readIndex(userId, now)).filter((e) => e.id !== key.id),
          now,
        );
      return existed;
    },

    async listUserSessions(userId, { now }): Promise<readonly StoredSessionInfo[]> {
      const out: StoredSessionInfo[] = [];
      for (const e of await readIndex(userId, now)) {
        const s = await live(e.id, now);
        if (s) out.push(storedSessionInfoOf(s, { id: e.id, tag: e.tag }));
      }
      return out.sort((a, b) => a.createdAt - b.createdAt);
    },

    async revokeUserSessions(userId, options: RevokeOptions): Promise<number> {
      checkRevokeOptions(options);
      const { now, only, except } = options;
      const index = await readIndex(userId, now);
      const kept = (e: IndexEntry) => (only !== undefined ? e.handle !== only : e.id === except?.id);
      let n = 0;
      for (const e of index) {
        if (kept(e)) continue;
        if (await live(e.id, now)) n++;
        await kv.delete(sKey(e.id));
      }
      await writeIndex(userId, index.filter(kept), now);
      return n;
    },
  };
}
