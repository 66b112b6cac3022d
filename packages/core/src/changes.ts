/**
 * A request's session data and what changed in it since the last store write: the decoded
 * values, their JSON texts (what the store holds), their size against the limits, and the
 * keys set or removed. A request that only reads allocates none of the change sets.
 */
import type { SessionMeta } from './lifecycle.js';
import { type DataLimits, type DataSize, entryBytes, exceeds, tooLarge } from './limits.js';
import { encodeValue, isForbiddenKey } from './record.js';
import type { EncodedData, SessionPatch, StoredSession } from './store.js';

/** Changes a store write carries (see `take`). */
export interface TakenChanges {
  readonly dirty: Set<string> | null;
  readonly deleted: Set<string> | null;
}

export class DataChanges {
  /** Decoded values (the store's, adopted as decoded), and their JSON text (what the store holds). */
  #data = new Map<string, unknown>();
  /** The texts as loaded, until something needs them as a Map (see #texts()). */
  #rawText: EncodedData | null = null;
  #textMap: Map<string, string> | null = null;
  /** Size of #texts() (see limits.ts), measured at the first write; null again when data is replaced. */
  #size: DataSize | null = null;
  #dirty: Set<string> | null = null;
  #deleted: Set<string> | null = null;

  /** Adopt a loaded record's data: `data` decoded from `texts`. */
  adopt(data: Map<string, unknown>, texts: EncodedData): void {
    this.#data = data;
    this.#rawText = texts;
  }

  get(key: string): unknown {
    return this.#data.get(key);
  }
  has(key: string): boolean {
    return this.#data.has(key);
  }
  keys(): string[] {
    return [...this.#data.keys()];
  }
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of this.#data) out[k] = v;
    return out;
  }

  /**
   * Set `key` (already checked) to `value`. Refused when the data after this write would be
   * over a limit, even if the write makes it smaller (a limit lowered under stored sessions):
   * only delete() shrinks those. `beforeWrite` runs once every check passed, before the change.
   */
  set(key: string, value: unknown, limits: DataLimits, beforeWrite: () => void): void {
    const texts = this.#texts();
    const size = this.#measure();
    const old = texts.get(key);
    const rest = size.bytes - (old === undefined ? 0 : entryBytes(key, old));
    const keys = size.keys + (old === undefined ? 1 : 0);
    if (keys > limits.maxKeys) throw tooLarge({ bytes: rest, keys }, limits);
    const text = encodeValue(key, value, limits.maxDataBytes - rest);
    const after = { bytes: rest + entryBytes(key, text), keys };
    if (exceeds(after, limits)) throw tooLarge(after, limits);
    beforeWrite();
    texts.set(key, text);
    this.#size = after;
    this.#data.set(key, JSON.parse(text));
    this.#changes('dirty').add(key);
    this.#deleted?.delete(key);
  }

  delete(key: string): void {
    if (!this.#data.has(key)) return;
    const old = this.#texts().get(key);
    if (this.#size !== null && old !== undefined) {
      this.#size = { bytes: this.#size.bytes - entryBytes(key, old), keys: this.#size.keys - 1 };
    }
    this.#texts().delete(key);
    this.#data.delete(key);
    this.#dirty?.delete(key);
    // Also while the session is still pending: a save() creating it may be in flight, and
    // the stored record would keep the key (a create takes the pending changes with it).
    this.#changes('deleted').add(key);
  }

  /** Drop every key `keep` refuses (login: data never crosses from one user to another). */
  dropUnless(keep: (key: string) => boolean): void {
    for (const k of [...this.#data.keys()]) {
      if (!keep(k)) {
        this.#texts().delete(k);
        this.#data.delete(k);
        this.#deleted?.delete(k);
        this.#size = null;
      }
    }
  }

  /** A copy of the data; the function it answers puts it back (a refused login). */
  snapshot(): () => void {
    const data = new Map(this.#data);
    const text = new Map(this.#texts());
    return () => {
      for (const [map, copy] of [
        [this.#data, data],
        [this.#texts(), text],
      ] as const) {
        map.clear();
        for (const [k, v] of copy as Map<string, never>) (map as Map<string, unknown>).set(k, v);
      }
      this.#size = null;
    };
  }

  /** Forget the data (the session ended or was never usable). */
  clear(): void {
    this.#data = new Map();
    this.#rawText = null;
    this.#textMap = null;
    this.#size = null;
  }

  /** Forget the pending changes (logout: nothing is left to write). */
  forgetChanges(): void {
    this.#dirty = null;
    this.#deleted = null;
  }

  /** Whether a store write has keys to set or remove. */
  isDirty(): boolean {
    return this.hasSets() || (this.#deleted !== null && this.#deleted.size > 0);
  }

  hasSets(): boolean {
    return this.#dirty !== null && this.#dirty.size > 0;
  }

  /** Before a store write: the record it leaves, measured afresh (not set()'s running count). */
  checkBounds(limits: DataLimits): void {
    this.#size = null;
    const size = this.#measure();
    if (exceeds(size, limits)) throw tooLarge(size, limits);
  }

  /** The record to store for `meta` with the current data. */
  record(meta: SessionMeta): StoredSession {
    const data: Record<string, string> = Object.create(null);
    for (const [k, v] of this.#texts()) if (!isForbiddenKey(k)) data[k] = v;
    return { version: 1, ...meta, data };
  }

  /**
   * The changes a store write carries, taken before it starts: a change made while it runs
   * stays pending for the next write. `giveBack` returns them when the write failed.
   */
  take(): TakenChanges {
    const taken = { dirty: this.#dirty, deleted: this.#deleted };
    this.#dirty = null;
    this.#deleted = null;
    return taken;
  }

  giveBack(taken: TakenChanges): void {
    if (taken.dirty) for (const k of taken.dirty) if (!this.#deleted?.has(k)) this.#changes('dirty').add(k);
    if (taken.deleted)
      for (const k of taken.deleted) if (!this.#dirty?.has(k)) this.#changes('deleted').add(k);
  }

  /** The store patch for changes `take()` answered. */
  patchOf(taken: TakenChanges): SessionPatch {
    const set: Record<string, string> = Object.create(null);
    const texts = this.#texts();
    if (taken.dirty) for (const k of taken.dirty) set[k] = texts.get(k)!;
    const unset = taken.deleted ? [...taken.deleted] : [];
    return { set, unset };
  }

  #changes(which: 'dirty' | 'deleted'): Set<string> {
    if (which === 'dirty') {
      if (this.#dirty === null) this.#dirty = new Set();
      return this.#dirty;
    }
    if (this.#deleted === null) this.#deleted = new Set();
    return this.#deleted;
  }

  /** The data's JSON texts as a Map, built from the loaded record the first time it is needed. */
  #texts(): Map<string, string> {
    if (this.#textMap === null) {
      const texts = new Map<string, string>();
      const raw = this.#rawText;
      if (raw !== null) for (const k of this.#data.keys()) texts.set(k, raw[k]!);
      this.#textMap = texts;
      this.#rawText = null;
    }
    return this.#textMap;
  }

  /** Size of the data as it stands, measured once and then kept up to date by set() and delete(). */
  #measure(): DataSize {
    if (this.#size === null) {
      let bytes = 0;
      for (const [k, v] of this.#texts()) bytes += entryBytes(k, v);
      this.#size = { bytes, keys: this.#texts().size };
    }
    return this.#size;
  }
}
