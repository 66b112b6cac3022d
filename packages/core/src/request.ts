/**
 * One request's session: loads at most once, runs the lifecycle's effects against the store,
 * and at `commit()` writes what changed and answers the headers to send. It is also the
 * handle handlers use (typed as `Session<D>`).
 */
import { listSessions, revokeAll, revokeSession, type SessionInfo } from './admin.js';
import { clientChanges, clientOf, sameClient } from './client.js';
import { readCookie, serializeCookie } from './cookie.js';
import { type CsrfResult, checkOrigin, checkToken, isSafeMethod } from './csrf.js';
import { type CsrfFormSource, readFormToken } from './csrf-form.js';
import { SessionError } from './errors.js';
import type { RejectReason, SessionEvent } from './events.js';
import {
  ANONYMOUS,
  type Effect,
  type EndReason,
  type LifecycleEvent,
  type LifecycleState,
  type LoadOutcome,
  type SessionMeta,
  transition,
} from './lifecycle.js';
import { type DataSize, entryBytes, exceeds, tooLarge } from './limits.js';
import type { ManagerInternals } from './manager.js';
import { MAX_DURATION_MS } from './policy.js';
import { decodeStored, encodeValue, isForbiddenKey } from './record.js';
import type { DataKey, DataValue, JsonKey, LoginOptions, Session, SessionData } from './session.js';
import { expiresAtOf, type SessionKey, type StoredClient, type StoredSession } from './store.js';
import { handleOf } from './token.js';

/**
 * What a key name or user id may not hold. A lone UTF-16 surrogate: stores write names as
 * UTF-8, where every lone surrogate becomes U+FFFD, so "\ud800" and "\udc00" would be one
 * key (one value lost) and two such user ids one index. NUL: Postgres text cannot hold it.
 */
const LONE_SURROGATE = /\p{Cs}/u;
const unstorableName = (name: string): boolean => LONE_SURROGATE.test(name) || name.includes('\u0000');

/** A per-login duration: like the policy's, whole ms from `min` to 100 years, else TypeError. */
function loginDuration(value: number | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' ? Math.round(value) : Number.NaN;
  if (!(ms >= min && ms <= MAX_DURATION_MS))
    throw new TypeError(`[tessera] login: ${name} must be from ${min} ms to 100 years.`);
  return ms;
}

/** What an adapter tells the core about a request. */
export interface SessionRequest {
  readonly method: string;
  /** A request header by lower-case name. */
  header(name: string): string | null | undefined;
  /** Client IP as the adapter resolved it (honouring its `trustProxy`). */
  readonly ip?: string | null;
  /** This server's origin as the client addressed it (`https://host:port`), for the CSRF Origin check. */
  readonly selfOrigin?: string | null;
}

/** Response headers to set, in order. `set-cookie` may appear more than once. */
export type ResponseHeaders = ReadonlyArray<readonly [name: string, value: string]>;

const PRE_SESSION_RE = /^[A-Za-z0-9_-]{43}$/;
const NO_HEADERS: ResponseHeaders = Object.freeze([]);

/** Changes a store write carries (see `#take`). */
interface Changes {
  readonly dirty: Set<string> | null;
  readonly deleted: Set<string> | null;
}

export class RequestSession<D = SessionData> implements Session<D> {
  readonly #m: ManagerInternals;
  readonly #req: SessionRequest;
  #state: LifecycleState = ANONYMOUS;
  /** Decoded values (the store's, adopted as decoded), and their JSON text (what the store holds). */
  #data = new Map<string, unknown>();
  /** The texts as loaded, until something needs them as a Map (see #texts()). */
  #rawText: Readonly<Record<string, string>> | null = null;
  #textMap: Map<string, string> | null = null;
  /** Size of #texts() (see limits.ts), measured at the first write; null again when data is replaced. */
  #size: DataSize | null = null;
  // Created on first use: a request that only reads allocates none of them.
  #dirty: Set<string> | null = null;
  #deleted: Set<string> | null = null;
  #cookies: Map<string, string> | null = null;
  #extraHeaders: Map<string, string> | null = null;
  #viaHeader = false;
  #onFirstChange: (() => void) | null = null;
  #preSession: string | null = null;
  /** The sid this request presented and the store knew, to tell when commit() changed it. */
  #loadedSid: string | null = null;
  #lastKey: { readonly sid: string; readonly key: SessionKey } | null = null;
  #client: StoredClient | null = null;
  #committed: ResponseHeaders | null = null;
  /** The commit in flight: the session takes no change from its first await on. */
  #committing: Promise<ResponseHeaders> | null = null;
  /** The latest store operation of this request, so the next waits for it. */
  #busy: Promise<void> | null = null;

  constructor(internals: ManagerInternals, request: SessionRequest) {
    this.#m = internals;
    this.#req = request;
  }

  /** The handle for handlers (this object, typed narrowly). */
  get session(): Session<D> {
    return this;
  }

  // ---- loading -------------------------------------------------------------------------

  /** @internal Called once by `SessionManager.begin`. */
  async load(): Promise<void> {
    const m = this.#m;
    const lookup = readCookie(this.#header('cookie'), m.cookie.name, m.cookieLimits);
    let value: string | undefined;
    if (lookup.status === 'found') value = lookup.value;
    else if (lookup.status !== 'absent') return this.#reject(lookup.status, null, false);
    if (value === undefined && m.tokenHeader) {
      const h = this.#header(m.tokenHeader);
      if (h) {
        value = h.trim();
        this.#viaHeader = true;
      }
    }
    if (value === undefined) return;
    const parsed = m.codec.parse(value);
    if (!parsed.ok) return this.#reject(parsed.reason, null, true);
    const key = m.codec.keyOf(parsed.sid, parsed.tag);
    this.#lastKey = { sid: parsed.sid, key };
    const handle = handleOf(key);
    const now = m.clock.now();
    const result = await m.call('load', handle, () =>
      m.store.load(key, { now, touchIntervalMs: m.policy.touchIntervalMs }),
    );
    let event: LifecycleEvent;
    if (result.status === 'found') {
      const decoded = decodeStored(result.session);
      if (!decoded.ok) {
        m.emit({
          type: 'store-error',
          at: now,
          operation: 'decode',
          message: `corrupt record: ${decoded.detail}`,
          handle,
        });
        this.#emitRejected('corrupt', handle);
        event = { type: 'load', sid: parsed.sid, outcome: { status: 'corrupt' }, clientChanges: [] };
      } else {
        const s = result.session;
        const meta: SessionMeta = {
          handle: s.handle,
          userId: s.userId,
          createdAt: s.createdAt,
          lastSeenAt: s.lastSeenAt,
          idleTimeoutMs: s.idleTimeoutMs,
          absoluteExpiresAt: s.absoluteExpiresAt,
          authenticatedAt: s.authenticatedAt,
          client: s.client,
        };
        // Hash only when the raw values differ: the usual request comes from where it logged in.
        const changes =
          s.userId !== null &&
          s.client &&
          m.policy.clientBinding !== 'off' &&
          !sameClient(s.client, this.#req.ip, this.#header('user-agent'))
            ? clientChanges(s.client, this.#currentClient())
            : [];
        event = {
          type: 'load',
          sid: parsed.sid,
          outcome: { status: 'found', meta, touched: result.touched },
          clientChanges: changes,
        };
        this.#data = decoded.data;
        this.#rawText = s.data;
      }
    } else {
      this.#emitRejected(result.status === 'corrupt' ? 'corrupt' : 'unknown', handle);
      const outcome: LoadOutcome = { status: result.status };
      event = { type: 'load', sid: parsed.sid, outcome, clientChanges: [] };
    }
    await this.#apply(event, true);
    if (this.#state.kind !== 'active') this.#clearData();
    else this.#loadedSid = this.#state.sid;
  }

  // ---- reading -------------------------------------------------------------------------

  get handle(): string | null {
    return this.#meta?.handle ?? null;
  }
  get isNew(): boolean {
    return this.#state.kind === 'pending';
  }
  get authenticated(): boolean {
    return this.#state.kind === 'active' && this.#state.meta.userId !== null;
  }
  get userId(): string | null {
    return this.#state.kind === 'active' ? this.#state.meta.userId : null;
  }
  get createdAt(): number | null {
    return this.#meta?.createdAt ?? null;
  }
  get lastSeenAt(): number | null {
    return this.#meta?.lastSeenAt ?? null;
  }
  get expiresAt(): number | null {
    const meta = this.#meta;
    return meta ? expiresAtOf(meta) : null;
  }
  get absoluteExpiresAt(): number | null {
    return this.#meta?.absoluteExpiresAt ?? null;
  }
  get authenticatedAt(): number | null {
    return this.#state.kind === 'active' ? this.#state.meta.authenticatedAt : null;
  }
  get endedReason(): EndReason | null {
    return this.#state.kind === 'ended' ? this.#state.reason : null;
  }

  get csrfToken(): string {
    const s = this.#state;
    if (s.kind === 'active' || s.kind === 'pending') return this.#m.codec.csrfTokenOf(s.sid);
    let pre = this.#preSessionCookie();
    if (!pre) {
      this.#changing();
      pre = this.#m.codec.randomToken();
      this.#preSession = pre;
      this.#setCookie(this.#m.csrfCookie.name, serializeCookie(this.#m.csrfCookie, pre));
    }
    return this.#m.codec.preSessionTokenOf(pre);
  }

  get<K extends DataKey<D>>(key: JsonKey<D, K>): DataValue<D, K> | undefined {
    return this.#data.get(key as string) as DataValue<D, K> | undefined;
  }
  has(key: DataKey<D>): boolean {
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

  // ---- writing -------------------------------------------------------------------------

  set<K extends DataKey<D>>(key: JsonKey<D, K>, value: DataValue<D, K>): void {
    this.#assertOpen();
    if (typeof key !== 'string' || key.length === 0 || key.length > 256 || unstorableName(key)) {
      throw new SessionError(
        'invalid_data',
        'session keys are non-empty strings of at most 256 characters of well-formed Unicode, without NUL.',
      );
    }
    // Refused when the data after this write would be over a limit, even if the write makes it
    // smaller (a limit lowered under stored sessions): only delete() shrinks those.
    const policy = this.#m.policy;
    const texts = this.#texts();
    const size = this.#measure();
    const old = texts.get(key);
    const rest = size.bytes - (old === undefined ? 0 : entryBytes(key, old));
    const keys = size.keys + (old === undefined ? 1 : 0);
    if (keys > policy.maxKeys) throw tooLarge({ bytes: rest, keys }, policy);
    const text = encodeValue(key, value, policy.maxDataBytes - rest);
    const after = { bytes: rest + entryBytes(key, text), keys };
    if (exceeds(after, policy)) throw tooLarge(after, policy);
    this.#ensureSession();
    texts.set(key, text);
    this.#size = after;
    this.#data.set(key, JSON.parse(text));
    this.#changes('dirty').add(key);
    this.#deleted?.delete(key);
  }

  delete(key: DataKey<D>): void {
    this.#assertOpen();
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

  async login(userId: string, options: LoginOptions = {}): Promise<void> {
    this.#assertOpen();
    if (typeof userId !== 'string' || userId.length === 0 || userId.length > 256 || unstorableName(userId)) {
      throw new TypeError(
        '[tessera] login(userId): userId must be a non-empty string of at most 256 characters of well-formed Unicode, without NUL.',
      );
    }
    const idle = loginDuration(options.idleTimeoutMs, 'idleTimeoutMs', 0);
    const absolute = loginDuration(options.absoluteTimeoutMs, 'absoluteTimeoutMs', 1);
    const previousUser = this.#state.kind === 'active' ? this.#state.meta.userId : null;
    const snapshot = { data: new Map(this.#data), text: new Map(this.#texts()) };
    this.#keepOnLogin(previousUser, userId);
    const { sid, handle } = this.#mint(userId);
    const event: LifecycleEvent = {
      type: 'login',
      userId,
      newSid: sid,
      handle,
      client: this.#currentClient(),
      ...(idle !== undefined ? { idleTimeoutMs: idle } : {}),
      ...(absolute !== undefined ? { absoluteTimeoutMs: absolute } : {}),
    };
    await this.#serial(() => this.#apply(event)).catch((error: unknown) => {
      // A refused login (cap, conflict, store down) leaves the request's session as it was.
      for (const [map, copy] of [
        [this.#data, snapshot.data],
        [this.#texts(), snapshot.text],
      ] as const) {
        map.clear();
        for (const [k, v] of copy as Map<string, never>) (map as Map<string, unknown>).set(k, v);
      }
      this.#size = null;
      throw error;
    });
    // The pre-session CSRF token served the login form; it must not outlive the login.
    if (this.#preSessionCookie() || this.#preSession) {
      this.#preSession = null;
      this.#setCookie(this.#m.csrfCookie.name, serializeCookie(this.#m.csrfCookie, '', { maxAge: 0 }));
    }
  }

  async logout(): Promise<void> {
    this.#assertOpen();
    await this.#serial(() => this.#apply({ type: 'logout' }));
    this.#clearData();
    this.#dirty = null;
    this.#deleted = null;
    if (this.#m.clearSiteData) this.#headers().set('clear-site-data', '"cookies"');
  }

  destroy(): Promise<void> {
    return this.logout();
  }

  async regenerate(): Promise<void> {
    this.#assertOpen();
    const s = this.#state;
    if (s.kind !== 'active' && s.kind !== 'pending') return;
    const { sid, handle } = this.#mint(s.meta.userId);
    await this.#serial(() => this.#apply({ type: 'regenerate', newSid: sid, handle }));
  }

  async save(): Promise<void> {
    this.#assertOpen();
    await this.#serial(() => this.#apply({ type: 'commit', dirty: this.#isDirty() }));
  }

  /**
   * For adapters: whether `commit()` has anything to do right now (a record to write, a
   * cookie or header to send). A read of an existing session answers false.
   */
  get needsCommit(): boolean {
    return (
      this.#state.kind === 'pending' ||
      this.#isDirty() ||
      (this.#cookies !== null && this.#cookies.size > 0) ||
      (this.#extraHeaders !== null && this.#extraHeaders.size > 0)
    );
  }

  /**
   * For adapters that must hold the response until `commit()` has run (Express, Nest):
   * `callback` runs once, synchronously, just before the first change that could make
   * `commit()` matter (a write, delete, login, logout, regenerate, save, or a new CSRF
   * cookie), so a request that only reads pays for no hold at all. It may throw to refuse
   * the change (the response has already gone).
   */
  onFirstChange(callback: () => void): void {
    this.#onFirstChange = callback;
  }

  /**
   * For adapters: `commit()` without the wait when there is nothing to write (the usual
   * read): marks the session committed and answers its headers (none), synchronously. Answers
   * null when `commit()` must run.
   */
  commitIfClean(): ResponseHeaders | null {
    if (this.#committed) return this.#committed;
    if (this.needsCommit) return null;
    this.#committed = NO_HEADERS;
    return NO_HEADERS;
  }

  /**
   * Write what changed and answer the headers to send. Idempotent; the handle is read-only
   * from the call on (a change while the write runs would be neither written nor refused),
   * and the write waits for a `save()`, `login()`... still running.
   */
  commit(): Promise<ResponseHeaders> {
    if (this.#committed) return Promise.resolve(this.#committed);
    if (this.#committing === null) {
      this.#committing = this.#commitNow().catch((error: unknown) => {
        // Failed: nothing was committed, and commit() may be called again.
        this.#committing = null;
        throw error;
      });
    }
    return this.#committing;
  }

  async #commitNow(): Promise<ResponseHeaders> {
    await this.#serial(() => this.#apply({ type: 'commit', dirty: this.#isDirty() }));
    const headers: [string, string][] = [];
    if (this.#cookies) for (const line of this.#cookies.values()) headers.push(['set-cookie', line]);
    if (headers.length > 0) headers.push(['cache-control', 'no-store']);
    const s = this.#state;
    // A new token (created, signed in, regenerated) makes the page's CSRF token stale: hand
    // the client the new one with the response that changed it.
    if (s.kind === 'active' && s.sid !== this.#loadedSid && this.#m.policy.csrf.enabled)
      headers.push([this.#m.policy.csrf.headerName, this.#m.codec.csrfTokenOf(s.sid)]);
    if (this.#extraHeaders) for (const [k, v] of this.#extraHeaders) headers.push([k, v]);
    this.#committed = headers;
    return headers;
  }

  /**
   * CSRF check for this request: safe methods pass; otherwise Fetch Metadata / Origin, then
   * the token from the configured header or `formToken` (adapters pass the parsed form field).
   */
  checkCsrf(formToken?: string | null): CsrfResult {
    const csrf = this.#m.policy.csrf;
    if (!csrf.enabled || isSafeMethod(this.#req.method) || this.#viaHeader) return { ok: true };
    const origin = checkOrigin(
      {
        secFetchSite: this.#header('sec-fetch-site'),
        origin: this.#header('origin'),
        selfOrigin: this.#req.selfOrigin,
      },
      csrf,
    );
    if (!origin.ok) return origin;
    const s = this.#state;
    let expected: string | null = null;
    if (s.kind === 'active' || s.kind === 'pending') expected = this.#m.codec.csrfTokenOf(s.sid);
    else {
      // The pre-session token serves only while there is no session: a planted pre-session
      // cookie must never authorise requests on a session (it would be a CSRF token the
      // attacker knows).
      const pre = this.#preSessionCookie();
      if (pre) expected = this.#m.codec.preSessionTokenOf(pre);
    }
    return checkToken(this.#header(csrf.headerName) ?? formToken, expected === null ? [] : [expected]);
  }

  /**
   * `checkCsrf()`, then, when the token is missing and the body is a bounded form, again with
   * its `csrf.fieldName` field (see csrf-form.ts). Answers synchronously when no body is needed.
   */
  verifyCsrf(form: CsrfFormSource): CsrfResult | Promise<CsrfResult> {
    const first = this.checkCsrf();
    if (first.ok || first.reason !== 'missing') return first;
    return readFormToken((name) => this.#header(name), this.#m.policy.csrf, form).then((token) =>
      token === null ? first : this.checkCsrf(token),
    );
  }

  async listSessions(): Promise<SessionInfo[]> {
    const userId = this.#requireUser();
    return listSessions(this.#m, userId, this.handle);
  }

  async revoke(handle: string): Promise<boolean> {
    const userId = this.#requireUser();
    return revokeSession(this.#m, userId, handle);
  }

  async revokeOthers(): Promise<number> {
    const userId = this.#requireUser();
    return revokeAll(this.#m, userId, this.#key()!);
  }

  // ---- internals -----------------------------------------------------------------------

  get #meta(): SessionMeta | undefined {
    const s = this.#state;
    return s.kind === 'active' || s.kind === 'pending' ? s.meta : undefined;
  }

  #header(name: string): string | undefined {
    const v = this.#req.header(name);
    return typeof v === 'string' ? v : undefined;
  }

  #currentClient(): StoredClient {
    this.#client ??= clientOf(this.#req.ip, this.#header('user-agent'));
    return this.#client;
  }

  #preSessionCookie(): string | null {
    if (this.#preSession) return this.#preSession;
    const c = readCookie(this.#header('cookie'), this.#m.csrfCookie.name, this.#m.cookieLimits);
    return c.status === 'found' && PRE_SESSION_RE.test(c.value) ? c.value : null;
  }

  #mint(userId: string | null): { sid: string; handle: string } {
    const tag = this.#m.store.shardTag ? this.#m.store.shardTag(userId) : '';
    const sid = this.#m.codec.mint(tag);
    return { sid, handle: handleOf(this.#m.codec.keyOf(sid, tag)) };
  }

  #key(): SessionKey | null {
    const s = this.#state;
    return s.kind === 'active' || s.kind === 'pending' ? this.#keyOf(s.sid) : null;
  }

  #keyOf(sid: string): SessionKey {
    // The last sid's key is remembered: a write needs the key load already hashed.
    if (this.#lastKey !== null && this.#lastKey.sid === sid) return this.#lastKey.key;
    const dot = sid.indexOf('.');
    const key = this.#m.codec.keyOf(sid, dot === -1 ? '' : sid.slice(0, dot));
    this.#lastKey = { sid, key };
    return key;
  }

  #ensureSession(): void {
    if (this.#state.kind === 'active' || this.#state.kind === 'pending') return;
    const { sid, handle } = this.#mint(null);
    // A write never needs the store until commit; run the pure transition directly.
    this.#state = transition(
      this.#state,
      { type: 'write', newSid: sid, handle, client: this.#currentClient() },
      this.#ctx(),
    ).state;
  }

  /** Drop what must not survive login; data never crosses from one user to another. */
  #keepOnLogin(previousUser: string | null, userId: string): void {
    const keep = this.#m.policy.keepDataOnLogin;
    const sameUser = previousUser === userId;
    const crossUser = previousUser !== null && !sameUser;
    for (const k of [...this.#data.keys()]) {
      const kept = !crossUser && (sameUser || keep.includes(k));
      if (!kept) {
        this.#texts().delete(k);
        this.#data.delete(k);
        this.#deleted?.delete(k);
        this.#size = null;
      }
    }
  }

  #ctx() {
    return { now: this.#m.clock.now(), policy: this.#m.policy };
  }

  #requireUser(): string {
    const s = this.#state;
    if (s.kind !== 'active' || s.meta.userId === null)
      throw new SessionError('unauthenticated', 'this needs a signed-in session.');
    return s.meta.userId;
  }

  #assertOpen(): void {
    if (this.#committed || this.#committing)
      throw new SessionError('invalid_state', 'the session was already committed for this request.');
    this.#changing();
  }

  #setCookie(name: string, line: string): void {
    if (this.#cookies === null) this.#cookies = new Map();
    this.#cookies.set(name, line);
  }

  #headers(): Map<string, string> {
    if (this.#extraHeaders === null) this.#extraHeaders = new Map();
    return this.#extraHeaders;
  }

  #changes(which: 'dirty' | 'deleted'): Set<string> {
    if (which === 'dirty') {
      if (this.#dirty === null) this.#dirty = new Set();
      return this.#dirty;
    }
    if (this.#deleted === null) this.#deleted = new Set();
    return this.#deleted;
  }

  #isDirty(): boolean {
    return (
      (this.#dirty !== null && this.#dirty.size > 0) || (this.#deleted !== null && this.#deleted.size > 0)
    );
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

  #clearData(): void {
    this.#data = new Map();
    this.#rawText = null;
    this.#textMap = null;
    this.#size = null;
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

  /** Before a store write: the record it leaves, measured afresh (not set()'s running count). */
  #checkBounds(): void {
    this.#size = null;
    const size = this.#measure();
    if (exceeds(size, this.#m.policy)) throw tooLarge(size, this.#m.policy);
  }

  #changing(): void {
    const callback = this.#onFirstChange;
    if (callback === null) return;
    callback();
    this.#onFirstChange = null;
  }

  #reject(reason: RejectReason, handle: string | null, clearCookie: boolean): void {
    this.#emitRejected(reason, handle);
    if (clearCookie) this.#setCookie(this.#m.cookie.name, serializeCookie(this.#m.cookie, '', { maxAge: 0 }));
  }

  #emitRejected(reason: RejectReason, handle: string | null): void {
    this.#m.emit({ type: 'rejected', at: this.#m.clock.now(), reason, handle });
  }

  #stored(meta: SessionMeta): StoredSession {
    const data: Record<string, string> = Object.create(null);
    for (const [k, v] of this.#texts()) if (!isForbiddenKey(k)) data[k] = v;
    return { version: 1, ...meta, data };
  }

  /** Store operations of one request run one after another (a `save()` not awaited, then `commit()`). */
  #serial(run: () => Promise<void>): Promise<void> {
    const before = this.#busy;
    const p = before ? before.then(run, run) : run();
    this.#busy = p;
    return p;
  }

  /**
   * The changes a store write carries, taken before it starts: a change made while it runs
   * stays pending for the next write. `#giveBack` returns them when the write failed.
   */
  #take(): Changes {
    const taken = { dirty: this.#dirty, deleted: this.#deleted };
    this.#dirty = null;
    this.#deleted = null;
    return taken;
  }

  #giveBack(taken: Changes): void {
    if (taken.dirty) for (const k of taken.dirty) if (!this.#deleted?.has(k)) this.#changes('dirty').add(k);
    if (taken.deleted)
      for (const k of taken.deleted) if (!this.#dirty?.has(k)) this.#changes('deleted').add(k);
  }

  /** Run a transition: effects in order, adopting the next state only when they all succeed. */
  async #apply(event: LifecycleEvent, duringLoad = false): Promise<void> {
    const ctx = this.#ctx();
    const next = transition(this.#state, event, ctx);
    let state = next.state;
    for (const effect of next.effects) {
      const outcome = await this.#run(effect, ctx.now, duringLoad);
      if (outcome === 'gone') {
        state = transition(state, { type: 'revoked' }, ctx).state;
        this.#setCookie(this.#m.cookie.name, serializeCookie(this.#m.cookie, '', { maxAge: 0 }));
      }
    }
    this.#state = state;
  }

  async #run(effect: Effect, now: number, duringLoad: boolean): Promise<'ok' | 'gone'> {
    const m = this.#m;
    switch (effect.type) {
      case 'store.create': {
        this.#checkBounds();
        const key = this.#keyOf(effect.sid);
        const stored = this.#stored(effect.meta);
        const taken = this.#take();
        const created = await m
          .call('create', effect.meta.handle, () => m.store.create(key, stored, { now }))
          .catch((error: unknown) => {
            this.#giveBack(taken);
            throw error;
          });
        if (!created) {
          this.#giveBack(taken);
          throw new SessionError(
            'session_conflict',
            'a freshly minted token collided with a stored session.',
          );
        }
        return 'ok';
      }
      case 'store.update': {
        // Deletes alone always pass: they are how a session over a lowered limit shrinks.
        if (this.#dirty !== null && this.#dirty.size > 0) this.#checkBounds();
        const key = this.#keyOf(effect.sid);
        const set: Record<string, string> = Object.create(null);
        const texts = this.#texts();
        const taken = this.#take();
        if (taken.dirty) for (const k of taken.dirty) set[k] = texts.get(k)!;
        const unset = taken.deleted ? [...taken.deleted] : [];
        const result = await m
          .call('update', handleOf(key), () => m.store.update(key, { set, unset }, { now }))
          .catch((error: unknown) => {
            this.#giveBack(taken);
            throw error;
          });
        // Logged out, revoked or evicted while this request ran: never bring it back.
        return result === 'missing' ? 'gone' : 'ok';
      }
      case 'store.rotate': {
        const key = this.#keyOf(effect.sid);
        const from = effect.from ? { key: this.#keyOf(effect.from.sid), userId: effect.from.userId } : null;
        // Authenticated sessions always get a limit (so stores always index them); "no cap"
        // is the largest safe integer rather than a special case every store must know.
        const max = Number.isFinite(m.policy.maxSessionsPerUser)
          ? m.policy.maxSessionsPerUser
          : Number.MAX_SAFE_INTEGER;
        const limit = effect.meta.userId !== null ? { max, onLimit: m.policy.onLimit } : null;
        this.#checkBounds();
        const session = this.#stored(effect.meta);
        const taken = this.#take();
        const result = await m
          .call('rotate', effect.meta.handle, () =>
            m.store.rotate({ now, from, to: { key, session }, limit }),
          )
          .catch((error: unknown) => {
            this.#giveBack(taken);
            throw error;
          });
        if (result.status !== 'ok') this.#giveBack(taken);
        if (result.status === 'limit') {
          throw new SessionError(
            'session_limit',
            `user is at the limit of ${m.policy.maxSessionsPerUser} sessions.`,
          );
        }
        if (result.status === 'conflict') {
          throw new SessionError(
            'session_conflict',
            'the session was rotated or ended by a concurrent request.',
          );
        }
        for (const e of result.evicted)
          m.emit({ type: 'evicted', at: now, handle: e.handle, userId: effect.meta.userId! });
        return 'ok';
      }
      case 'store.destroy': {
        const key = this.#keyOf(effect.sid);
        const op = () => m.store.destroy(key, { now, userId: effect.userId });
        if (duringLoad) {
          // Cleaning up an expired or corrupt record is best effort; the request goes on anonymous.
          await m.call('destroy', handleOf(key), op).catch(() => undefined);
        } else {
          await m.call('destroy', handleOf(key), op);
        }
        return 'ok';
      }
      case 'cookie.set': {
        const value = m.codec.toCookieValue(effect.sid);
        const maxAge = m.cookie.persistent ? { maxAge: (effect.absoluteExpiresAt - now) / 1000 } : {};
        this.#setCookie(m.cookie.name, serializeCookie(m.cookie, value, maxAge));
        if (this.#viaHeader && m.tokenHeader) this.#headers().set(m.tokenHeader, value);
        return 'ok';
      }
      case 'cookie.clear':
        this.#setCookie(m.cookie.name, serializeCookie(m.cookie, '', { maxAge: 0 }));
        return 'ok';
      case 'emit':
        m.emit({ ...effect.event, at: now } as SessionEvent);
        return 'ok';
    }
  }
}
