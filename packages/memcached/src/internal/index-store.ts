/**
 * The per-user index (one item per user listing session ids) and everything that changes it:
 * login with cap, revoke one, revoke all, destroy. Each change is a CAS read-modify-write of
 * the index item, so parallel logins of one user serialise on it and the cap is exact.
 *
 * Ordering is what keeps it exact without transactions:
 * - a login writes its session item BEFORE its index entry, so a concurrent login that
 *   evicts it always finds the item to delete;
 * - revoke one, revoke all and evict-oldest delete the sessions BEFORE the index write that
 *   drops their entries, so a failure in between leaves entries of dead sessions (pruned by
 *   the next read), never a live session that nothing lists;
 * - the session being replaced (`from`) is consumed by a CAS delete, which succeeds once;
 * - under `reject` the cap is settled first (so a refused login changes nothing), then
 *   `from` is consumed; losing that race removes the new entry again.
 */
import {
  expiresAtOf,
  type RotateInput,
  type RotateResult,
  SessionError,
  type SessionKey,
  type StoredSession,
  type StoredSessionInfo,
  storedSessionInfoOf,
} from '@tessera/session-core';
import type { MetaCommand, MetaResponse } from '../meta-client.js';
import {
  decodeIndex,
  decodeSession,
  encodeIndex,
  encodeSession,
  exptimeOf,
  type IndexEntry,
  indexItemKey,
  sessionItemKey,
} from './codec.js';
import { backoff, type Ctx, deleteEach, deleteSessions, expect, fanOut, readSessions } from './ops.js';

interface IndexRead {
  readonly cas: string | undefined;
  readonly entries: readonly IndexEntry[];
}

type Step<T> = { readonly entries: IndexEntry[]; readonly result: T } | { readonly done: T };

const CONFLICT: RotateResult = Object.freeze({ status: 'conflict' });

export class IndexStore {
  constructor(
    private readonly ctx: Ctx,
    private readonly tagOf: (userId: string) => string,
  ) {}

  async rotate(input: RotateInput): Promise<RotateResult> {
    const { now, from, to, limit } = input;
    const userId = to.session.userId;
    const { client, prefix } = this.ctx;
    const toServer = client.serverFor(to.key.tag || to.key.id);
    const toItem = sessionItemKey(prefix, to.key.id);
    const bytes = encodeSession(to.session);
    const ttl = Math.max(1, exptimeOf(expiresAtOf(to.session), now));
    const indexed = userId !== null && limit !== null;
    // First round trip (pipelined per server; one server when the shard tags match): write
    // the new session, read the session it replaces and the user's index.
    const replies = await fanOut(this.ctx, [
      {
        routing: to.key.tag || to.key.id,
        command: { line: `ms ${toItem} ${bytes.length} T${ttl} ME`, data: bytes },
      },
      ...(from ? [{ routing: from.key.tag || from.key.id, command: this.#casCommand(from.key) }] : []),
      ...(indexed ? [{ routing: this.tagOf(userId), command: this.#readCommand(userId) }] : []),
    ]);
    const added = replies[0];
    const fromCas = from ? this.#parseCas(replies[1], now) : undefined;
    const firstIndex = indexed ? this.#parseRead(replies[from ? 2 : 1], userId) : undefined;
    expect(added, ['HD', 'NS'], 'ms');
    if (added!.code === 'NS') return CONFLICT;
    const dropTo = () =>
      client.exec(toServer, [{ line: `md ${toItem}` }]).then(
        () => undefined,
        () => undefined,
      );
    try {
      if (from && fromCas === undefined) {
        await dropTo();
        return CONFLICT;
      }
      if (indexed && limit.onLimit === 'reject') {
        const admitted = await this.#admit(userId, now, limit, from?.key.id, to.key, to.session, firstIndex);
        if (admitted === 'limit') {
          await dropTo();
          return { status: 'limit' };
        }
        if (from && !(await this.#consume(from.key, fromCas!))) {
          await this.remove(userId, [to.key.id], now);
          await dropTo();
          return CONFLICT;
        }
      } else if (from && !(await this.#consume(from.key, fromCas!))) {
        await dropTo();
        return CONFLICT;
      }
      if (from && from.userId !== null && !(indexed && from.userId === userId)) {
        await this.remove(from.userId, [from.key.id], now);
      }
      if (!indexed || limit.onLimit === 'reject') return { status: 'ok', evicted: [] };
      const victims = await this.#admit(userId, now, limit, from?.key.id, to.key, to.session, firstIndex);
      if (victims === 'limit') throw new Error('unreachable: evict-oldest never refuses');
      return { status: 'ok', evicted: victims.map((v) => ({ handle: v.handle })) };
    } catch (error) {
      await dropTo();
      throw error;
    }
  }

  /** Remove `ids` from a user's index (and prune expired entries on the way). */
  async remove(userId: string, ids: readonly string[], now: number): Promise<void> {
    await this.#rmw(userId, now, undefined, async (read): Promise<Step<void>> => {
      if (!read.entries.some((e) => ids.includes(e.id))) return { done: undefined };
      return { entries: read.entries.filter((e) => !ids.includes(e.id) && e.exp > now), result: undefined };
    });
  }

  async list(userId: string, now: number): Promise<readonly StoredSessionInfo[]> {
    const read = await this.#read(userId);
    const sessions = await readSessions(this.ctx, read.entries);
    const out: StoredSessionInfo[] = [];
    const keep: IndexEntry[] = [];
    read.entries.forEach((e, i) => {
      const s = sessions[i];
      if (!s || s.userId !== userId || now >= expiresAtOf(s)) return;
      keep.push(e);
      out.push(storedSessionInfoOf(s, { id: e.id, tag: e.tag }));
    });
    // Best-effort prune: one CAS attempt; a conflict means someone else rewrote it anyway.
    if (keep.length < read.entries.length) await this.#write(userId, read, keep, now);
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  async revokeOne(userId: string, handle: string, now: number): Promise<boolean> {
    let existed = false;
    await this.#rmw(userId, now, undefined, async (read): Promise<Step<void>> => {
      const hit = read.entries.find((e) => e.handle === handle);
      if (!hit) return { done: undefined };
      // The session first (see the top of the file); a retry after a CAS conflict deletes again, harmlessly.
      existed = (await deleteSessions(this.ctx, [hit])) > 0 || existed;
      return { entries: read.entries.filter((e) => e !== hit && e.exp > now), result: undefined };
    });
    return existed;
  }

  async revokeAll(userId: string, now: number, except: SessionKey | undefined): Promise<number> {
    const deleted = new Set<string>();
    let count = 0;
    await this.#rmw(userId, now, undefined, async (read): Promise<Step<void>> => {
      const victims = read.entries.filter((e) => e.id !== except?.id);
      if (victims.length === 0) return { done: undefined };
      // The sessions first (see the top of the file). After a CAS conflict the next read may
      // list new sessions (a login that finished meanwhile): they are revoked too.
      const fresh = victims.filter((e) => !deleted.has(e.id));
      count += await deleteSessions(this.ctx, fresh);
      for (const e of fresh) deleted.add(e.id);
      return { entries: read.entries.filter((e) => e.id === except?.id && e.exp > now), result: undefined };
    });
    return count;
  }

  /**
   * Add `to` to the user's index under the cap. Entries past their absolute deadline are
   * pruned; at the cap, entries are checked against their session items (one batched read,
   * remembered across CAS retries) so dead ones never count. Evicted sessions are deleted
   * before the index write that drops them, and reported by the login whose delete found
   * them (two logins racing for one victim report it once). An attempt that then loses the
   * CAS race keeps its deletions: its retry may find the cap no longer needed them (a session
   * ended meanwhile), so the user can end up below the cap, never above it.
   * Answers the evicted entries.
   */
  async #admit(
    userId: string,
    now: number,
    limit: NonNullable<RotateInput['limit']>,
    fromId: string | undefined,
    key: SessionKey,
    session: StoredSession,
    first: IndexRead | undefined,
  ): Promise<IndexEntry[] | 'limit'> {
    const alive = new Map<string, boolean>();
    // Deleted by this login, possibly in an attempt whose index write then lost a CAS race.
    const evicted = new Map<string, IndexEntry>();
    return this.#rmw(userId, now, first, async (read): Promise<Step<IndexEntry[] | 'limit'>> => {
      let entries = read.entries.filter(
        (e) => e.exp > now && e.id !== fromId && e.id !== key.id && alive.get(e.id) !== false,
      );
      if (entries.length >= limit.max) {
        const unknown = entries.filter((e) => !alive.has(e.id));
        const sessions = await readSessions(this.ctx, unknown);
        unknown.forEach((e, i) => {
          const s = sessions[i];
          alive.set(e.id, s !== undefined && s.userId === userId && now < expiresAtOf(s));
        });
        entries = entries.filter((e) => alive.get(e.id));
      }
      if (entries.length >= limit.max) {
        if (limit.onLimit === 'reject') return { done: 'limit' };
        const cut = entries.length - limit.max + 1;
        const sorted = [...entries].sort((a, b) => a.createdAt - b.createdAt);
        const victims = sorted.slice(0, cut);
        entries = sorted.slice(cut);
        const found = await deleteEach(this.ctx, victims);
        victims.forEach((v, i) => {
          alive.set(v.id, false);
          if (found[i]) evicted.set(v.id, v);
        });
      }
      entries.push({
        id: key.id,
        tag: key.tag,
        handle: session.handle,
        createdAt: session.createdAt,
        exp: session.absoluteExpiresAt,
      });
      return { entries, result: [...evicted.values()] };
    });
  }

  #casCommand(key: SessionKey): MetaCommand {
    return { line: `mg ${sessionItemKey(this.ctx.prefix, key.id)} v c` };
  }

  /** CAS of a live session item, or undefined when it is absent, undecodable or expired at `now`. */
  #parseCas(r: MetaResponse | undefined, now: number): string | undefined {
    if (r?.code === 'EN') return undefined;
    expect(r, ['VA'], 'mg');
    const d = decodeSession(r!.value!);
    if (!d.ok || now >= expiresAtOf(d.value)) return undefined;
    return r!.flags.get('c');
  }

  /** Delete `from` with CAS: of N rotations racing on one session exactly one gets `true`. */
  async #consume(key: SessionKey, cas: string): Promise<boolean> {
    const item = sessionItemKey(this.ctx.prefix, key.id);
    const server = this.ctx.client.serverFor(key.tag || key.id);
    let current = cas;
    for (let attempt = 0; attempt < this.ctx.casRetries; attempt++) {
      const [r] = await this.ctx.client.exec(server, [{ line: `md ${item} C${current}` }]);
      if (r?.code === 'HD') return true;
      if (r?.code === 'NF') return false;
      expect(r, ['EX'], 'md');
      // A concurrent update changed the item (not a rotation: that deletes it). Take its new CAS.
      const [g] = await this.ctx.client.exec(server, [{ line: `mg ${item} c` }]);
      if (g?.code !== 'HD') return false;
      current = g.flags.get('c') ?? '';
    }
    throw this.#exhausted('rotate');
  }

  /** CAS loop on the index item; `first` is a read already made (saves a round trip). */
  async #rmw<T>(
    userId: string,
    now: number,
    first: IndexRead | undefined,
    step: (read: IndexRead) => Promise<Step<T>>,
  ): Promise<T> {
    for (let attempt = 0; attempt < this.ctx.casRetries; attempt++) {
      if (attempt > 0) await backoff(attempt);
      const read = attempt === 0 && first ? first : await this.#read(userId);
      const out = await step(read);
      if ('done' in out) return out.done;
      if (await this.#write(userId, read, out.entries, now)) return out.result;
    }
    throw this.#exhausted('index update');
  }

  #server(userId: string): number {
    return this.ctx.client.serverFor(this.tagOf(userId));
  }

  #readCommand(userId: string): MetaCommand {
    return { line: `mg ${indexItemKey(this.ctx.prefix, userId)} v c` };
  }

  #parseRead(r: MetaResponse | undefined, userId: string): IndexRead {
    if (r?.code === 'EN') return { cas: undefined, entries: [] };
    expect(r, ['VA'], 'mg');
    return { cas: r!.flags.get('c'), entries: decodeIndex(r!.value, userId).entries };
  }

  async #read(userId: string): Promise<IndexRead> {
    const [r] = await this.ctx.client.exec(this.#server(userId), [this.#readCommand(userId)]);
    return this.#parseRead(r, userId);
  }

  /** CAS write (add when there was no item). Answers false when someone changed it first. */
  async #write(
    userId: string,
    read: IndexRead,
    entries: readonly IndexEntry[],
    now: number,
  ): Promise<boolean> {
    const item = indexItemKey(this.ctx.prefix, userId);
    const server = this.#server(userId);
    if (entries.length === 0) {
      if (read.cas === undefined) return true;
      const [r] = await this.ctx.client.exec(server, [{ line: `md ${item} C${read.cas}` }]);
      expect(r, ['HD', 'EX', 'NF'], 'md');
      return r!.code === 'HD';
    }
    // The item lives as long as its longest-lived entry can (absolute deadlines never move).
    const ttl = Math.max(1, exptimeOf(Math.max(...entries.map((e) => e.exp)), now));
    const bytes = encodeIndex({ userId, entries });
    const mode = read.cas === undefined ? 'ME' : `C${read.cas}`;
    const [r] = await this.ctx.client.exec(server, [
      { line: `ms ${item} ${bytes.length} T${ttl} ${mode}`, data: bytes },
    ]);
    expect(r, ['HD', 'NS', 'EX', 'NF'], 'ms');
    return r!.code === 'HD';
  }

  #exhausted(what: string): SessionError {
    return new SessionError(
      'store_unavailable',
      `[tessera] [memcached] ${what} gave up after ${this.ctx.casRetries} CAS conflicts; raise casRetries if this is expected load.`,
    );
  }
}
