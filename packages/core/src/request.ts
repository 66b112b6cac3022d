/**
 * One request's session: loads at most once, runs the lifecycle's effects against the store
 * (effects.ts), and at `commit()` writes what changed (changes.ts) and answers the headers to
 * send. It is also the handle handlers use (typed as `Session<D>`).
 */
import { listSessions, revokeSession, revokeSessions, type SessionInfo } from './admin.js';
import { DataChanges } from './changes.js';
import { clientOf } from './client.js';
import { readCookie, serializeCookie } from './cookie.js';
import type { CsrfResult } from './csrf.js';
import { type CsrfFormSource, readFormToken } from './csrf-form.js';
import { type EffectHost, runTransition, sessionCookieLine } from './effects.js';
import { SessionError } from './errors.js';
import type { EndReason } from './events.js';
import {
  ANONYMOUS,
  type LifecycleEvent,
  type LifecycleState,
  type SessionMeta,
  transition,
} from './lifecycle.js';
import type { ManagerInternals } from './manager.js';
import { checkRequestCsrf, readPreSession } from './request-csrf.js';
import { checkDataKey, checkUserId, loginDuration } from './request-input.js';
import { emitRejected, loadEventOf } from './request-load.js';
import { type MigrationHost, migrateRequest } from './request-migrate.js';
import { PendingHeaders } from './response-headers.js';
import type { DataKey, DataValue, JsonKey, LoginOptions, Session, SessionData } from './session.js';
import { expiresAtOf, type SessionKey, type StoredClient } from './store.js';
import { handleOf } from './token.js';

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

const NO_HEADERS: ResponseHeaders = Object.freeze([]);

export class RequestSession<D = SessionData> implements Session<D> {
  readonly #m: ManagerInternals;
  readonly #req: SessionRequest;
  #state: LifecycleState = ANONYMOUS;
  readonly #changes = new DataChanges();
  // Created on first use: a request that only reads allocates none of them.
  #out: PendingHeaders | null = null;
  #host: EffectHost | null = null;
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

  /** @internal Called once by `SessionManager.begin`. */
  async load(): Promise<void> {
    const m = this.#m;
    const lookup = readCookie(this.#header('cookie'), m.cookie.name, m.cookieLimits);
    let value: string | undefined;
    if (lookup.status === 'found') value = lookup.value;
    else if (lookup.status !== 'absent') return emitRejected(m, lookup.status, null);
    if (value === undefined && m.tokenHeader) {
      const h = this.#header(m.tokenHeader);
      if (h) {
        value = h.trim();
        this.#viaHeader = true;
      }
    }
    if (value === undefined) {
      // No Tessera token: the one place an old express-session cookie is looked at.
      if (m.migration !== undefined) await migrateRequest(this.#migrationHost(), m.migration);
      return;
    }
    const parsed = m.codec.parse(value);
    if (!parsed.ok) {
      emitRejected(m, parsed.reason, null);
      return this.#setCookie(m.cookie.name, serializeCookie(m.cookie, '', { maxAge: 0 }));
    }
    await this.#loadToken(parsed.sid, parsed.tag);
  }

  /** Load the session of a well-formed token in one store round trip, and judge it. */
  async #loadToken(sid: string, tag: string): Promise<void> {
    const m = this.#m;
    const key = m.codec.keyOf(sid, tag);
    this.#lastKey = { sid, key };
    const handle = handleOf(key);
    const now = m.clock.now();
    const result = await m.call('load', handle, () =>
      m.store.load(key, { now, touchIntervalMs: m.policy.touchIntervalMs }),
    );
    const client = {
      ip: this.#req.ip,
      userAgent: this.#header('user-agent'),
      current: () => this.#currentClient(),
    };
    const event = loadEventOf(m, sid, handle, now, result, client, this.#changes);
    await this.#apply(event, true);
    if (this.#state.kind !== 'active') this.#changes.clear();
    else this.#loadedSid = this.#state.sid;
  }

  #migrationHost(): MigrationHost {
    return {
      m: this.#m,
      header: (name) => this.#header(name),
      setCookie: (name, line) => this.#setCookie(name, line),
      start: (userId, data, absoluteTimeoutMs) => this.#startMigrated(userId, data, absoluteTimeoutMs),
      reset: () => {
        this.#state = ANONYMOUS;
        this.#changes.clear();
        this.#changes.forgetChanges();
      },
      join: async (sid) => {
        const dot = sid.indexOf('.');
        await this.#loadToken(sid, dot === -1 ? '' : sid.slice(0, dot));
        this.#loadedSid = null;
        const s = this.#state;
        if (s.kind !== 'active') {
          this.#changes.clear();
          return null;
        }
        // New to this client: its cookie (and, at commit, its CSRF token) go out with this response.
        const now = this.#m.clock.now();
        this.#setCookie(this.#m.cookie.name, sessionCookieLine(this.#m, sid, s.meta.absoluteExpiresAt, now));
        return { handle: s.meta.handle, userId: s.meta.userId };
      },
    };
  }

  /** A migrated session (request-migrate.ts), created now: the data set, then signed in or stored. */
  async #startMigrated(
    userId: string | null,
    data: Readonly<Record<string, unknown>>,
    absoluteTimeoutMs: number | undefined,
  ): Promise<{ sid: string; handle: string }> {
    if (userId !== null) checkUserId(userId);
    if (typeof data !== 'object' || data === null || Array.isArray(data))
      throw new SessionError('invalid_data', 'migrate() must answer `data` as an object.');
    const policy = this.#m.policy;
    // Anonymous: the first key mints the session (as set() does); signed in: the rotate below does.
    const mint = userId === null ? () => this.#ensureSession(absoluteTimeoutMs) : () => undefined;
    for (const [k, v] of Object.entries(data)) {
      checkDataKey(k);
      this.#changes.set(k, v, policy, mint);
    }
    if (userId === null) {
      await this.#serial(() => this.#apply({ type: 'commit', dirty: true }));
    } else {
      const event = this.#loginEvent(userId, undefined, absoluteTimeoutMs);
      await this.#serial(() => this.#apply(event));
    }
    const s = this.#state;
    if (s.kind !== 'active')
      throw new SessionError('session_conflict', 'the migrated session was not created.');
    return { sid: s.sid, handle: s.meta.handle };
  }

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
    return this.#changes.get(key as string) as DataValue<D, K> | undefined;
  }
  has(key: DataKey<D>): boolean {
    return this.#changes.has(key);
  }
  keys(): string[] {
    return this.#changes.keys();
  }
  toJSON(): Record<string, unknown> {
    return this.#changes.toJSON();
  }

  set<K extends DataKey<D>>(key: JsonKey<D, K>, value: DataValue<D, K>): void {
    this.#assertOpen();
    checkDataKey(key);
    this.#changes.set(key, value, this.#m.policy, () => this.#ensureSession());
  }

  delete(key: DataKey<D>): void {
    this.#assertOpen();
    this.#changes.delete(key);
  }

  async login(userId: string, options: LoginOptions = {}): Promise<void> {
    this.#assertOpen();
    checkUserId(userId);
    const idle = loginDuration(options.idleTimeoutMs, 'idleTimeoutMs', 0);
    const absolute = loginDuration(options.absoluteTimeoutMs, 'absoluteTimeoutMs', 1);
    const previousUser = this.#state.kind === 'active' ? this.#state.meta.userId : null;
    const restore = this.#changes.snapshot();
    // Data never crosses from one user to another; the same user keeps it all.
    const keep = this.#m.policy.keepDataOnLogin;
    const crossUser = previousUser !== null && previousUser !== userId;
    this.#changes.dropUnless((k) => !crossUser && (previousUser === userId || keep.includes(k)));
    const event = this.#loginEvent(userId, idle, absolute);
    await this.#serial(() => this.#apply(event)).catch((error: unknown) => {
      // A refused login (cap, conflict, store down) leaves the request's session as it was.
      restore();
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
    this.#changes.clear();
    this.#changes.forgetChanges();
    if (this.#m.clearSiteData) this.#headers().set('clear-site-data', '"cookies"');
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
    await this.#serial(() => this.#apply({ type: 'commit', dirty: this.#changes.isDirty() }));
  }

  /**
   * For adapters: whether `commit()` has anything to do right now (a record to write, a
   * cookie or header to send). A read of an existing session answers false.
   */
  get needsCommit(): boolean {
    return (
      this.#state.kind === 'pending' || this.#changes.isDirty() || (this.#out !== null && !this.#out.isEmpty)
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
    await this.#serial(() => this.#apply({ type: 'commit', dirty: this.#changes.isDirty() }));
    const s = this.#state;
    // A new token (created, signed in, regenerated) makes the page's CSRF token stale: hand
    // the client the new one with the response that changed it.
    const csrf: [string, string][] =
      s.kind === 'active' && s.sid !== this.#loadedSid && this.#m.policy.csrf.enabled
        ? [[this.#m.policy.csrf.headerName, this.#m.codec.csrfTokenOf(s.sid)]]
        : [];
    const headers = this.#out === null ? (csrf as ResponseHeaders) : this.#out.lines(csrf);
    this.#committed = headers;
    return headers;
  }

  /**
   * CSRF check for this request: safe methods pass; otherwise Fetch Metadata / Origin, then
   * the token from the configured header or `formToken` (adapters pass the parsed form field).
   */
  checkCsrf(formToken?: string | null): CsrfResult {
    const s = this.#state;
    const sid = s.kind === 'active' || s.kind === 'pending' ? s.sid : null;
    return checkRequestCsrf(
      this.#m,
      this.#req,
      (name) => this.#header(name),
      this.#viaHeader,
      sid,
      () => this.#preSessionCookie(),
      formToken,
    );
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

  async revokeSession(handle: string): Promise<boolean> {
    const userId = this.#requireUser();
    return revokeSession(this.#m, userId, handle);
  }

  async revokeOtherSessions(): Promise<number> {
    const userId = this.#requireUser();
    return revokeSessions(this.#m, userId, this.#key()!);
  }

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
    return this.#preSession ?? readPreSession(this.#m, (name) => this.#header(name));
  }

  #mint(userId: string | null): { sid: string; handle: string } {
    const tag = this.#m.store.shardTag ? this.#m.store.shardTag(userId) : '';
    const sid = this.#m.codec.mint(tag);
    return { sid, handle: handleOf(this.#m.codec.keyOf(sid, tag)) };
  }

  /** A login to a new token, with the per-login durations when given. */
  #loginEvent(userId: string, idle: number | undefined, absolute: number | undefined): LifecycleEvent {
    const { sid, handle } = this.#mint(userId);
    return {
      type: 'login',
      userId,
      newSid: sid,
      handle,
      client: this.#currentClient(),
      ...(idle !== undefined ? { idleTimeoutMs: idle } : {}),
      ...(absolute !== undefined ? { absoluteTimeoutMs: absolute } : {}),
    };
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

  #ensureSession(absoluteTimeoutMs?: number): void {
    if (this.#state.kind === 'active' || this.#state.kind === 'pending') return;
    const { sid, handle } = this.#mint(null);
    // A write never needs the store until commit; run the pure transition directly.
    this.#state = transition(
      this.#state,
      {
        type: 'write',
        newSid: sid,
        handle,
        client: this.#currentClient(),
        ...(absoluteTimeoutMs !== undefined ? { absoluteTimeoutMs } : {}),
      },
      { now: this.#m.clock.now(), policy: this.#m.policy },
    ).state;
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

  #changing(): void {
    const callback = this.#onFirstChange;
    if (callback === null) return;
    callback();
    this.#onFirstChange = null;
  }

  #setCookie(name: string, line: string): void {
    this.#headers().setCookie(name, line);
  }

  #headers(): PendingHeaders {
    this.#out ??= new PendingHeaders();
    return this.#out;
  }

  /** Store operations of one request run one after another (a `save()` not awaited, then `commit()`). */
  #serial(run: () => Promise<void>): Promise<void> {
    const before = this.#busy;
    const p = before ? before.then(run, run) : run();
    this.#busy = p;
    return p;
  }

  async #apply(event: LifecycleEvent, duringLoad = false): Promise<void> {
    const viaHeader = this.#viaHeader;
    this.#host ??= {
      m: this.#m,
      changes: this.#changes,
      // Set by load() only, which runs before any transition.
      viaHeader,
      keyOf: (sid) => this.#keyOf(sid),
      setCookie: (name, line) => this.#setCookie(name, line),
      setHeader: (name, value) => this.#headers().set(name, value),
    };
    this.#state = await runTransition(this.#host, this.#state, event, duringLoad);
  }
}
