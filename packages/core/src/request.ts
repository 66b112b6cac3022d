/**
 * One request's session: loads at most once, runs the lifecycle's effects against the store
 * (effects.ts), and at `commit()` writes what changed (changes.ts) and answers the headers to
 * send. It is also the handle handlers use (typed as `Session<D>`).
 */
import { listSessions, revokeSession, revokeSessions, type SessionInfo } from './admin.js';
import { DataChanges } from './changes.js';
import { readCookie, serializeCookie } from './cookie.js';
import type { CsrfResult } from './csrf.js';
import { type CsrfFormSource, readFormToken } from './csrf-form.js';
import { SessionError } from './errors.js';
import type { EndReason } from './events.js';
import { ANONYMOUS, type LifecycleState, type SessionMeta } from './lifecycle.js';
import type { ManagerInternals } from './manager.js';
import { checkRequestCsrf, readPreSession } from './request-csrf.js';
import { checkDataKey, checkUserId, loginDuration } from './request-input.js';
import { emitRejected } from './request-load.js';
import { migrateRequest } from './request-migrate.js';
import { headerOf, Transitions } from './request-transitions.js';
import type { DataKey, DataValue, JsonKey, LoginOptions, Session, SessionData } from './session.js';
import { expiresAtOf } from './store.js';

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
  readonly #changes = new DataChanges();
  // Created on first use (request-transitions.ts): a request without a token that only reads makes none.
  #t: Transitions | null = null;
  #viaHeader = false;
  #onFirstChange: (() => void) | null = null;
  #preSession: string | null = null;
  #committed: ResponseHeaders | null = null;
  /** The commit in flight: the session takes no change from its first await on. */
  #committing: Promise<ResponseHeaders> | null = null;

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
      if (m.migration !== undefined) await migrateRequest(this.#transitions(), m.migration);
      return;
    }
    const parsed = m.codec.parse(value);
    if (!parsed.ok) {
      emitRejected(m, parsed.reason, null);
      return this.#transitions().setCookie(m.cookie.name, serializeCookie(m.cookie, '', { maxAge: 0 }));
    }
    await this.#transitions().loadToken(parsed.sid, parsed.tag);
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
      this.#transitions().setCookie(this.#m.csrfCookie.name, serializeCookie(this.#m.csrfCookie, pre));
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
    this.#changes.set(key, value, this.#m.policy, () => this.#transitions().ensureSession());
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
    const t = this.#transitions();
    const previousUser = t.state.kind === 'active' ? t.state.meta.userId : null;
    const restore = this.#changes.snapshot();
    // Data never crosses from one user to another; the same user keeps it all.
    const keep = this.#m.policy.keepDataOnLogin;
    const crossUser = previousUser !== null && previousUser !== userId;
    this.#changes.dropUnless((k) => !crossUser && (previousUser === userId || keep.includes(k)));
    await t.run(t.loginEvent(userId, idle, absolute)).catch((error: unknown) => {
      // A refused login (cap, conflict, store down) leaves the request's session as it was.
      restore();
      throw error;
    });
    // The pre-session CSRF token served the login form; it must not outlive the login.
    if (this.#preSessionCookie() || this.#preSession) {
      this.#preSession = null;
      t.setCookie(this.#m.csrfCookie.name, serializeCookie(this.#m.csrfCookie, '', { maxAge: 0 }));
    }
  }

  async logout(): Promise<void> {
    this.#assertOpen();
    const t = this.#transitions();
    await t.run({ type: 'logout' });
    this.#changes.clear();
    this.#changes.forgetChanges();
    if (this.#m.clearSiteData) t.setHeader('clear-site-data', '"cookies"');
  }

  async regenerate(): Promise<void> {
    this.#assertOpen();
    const s = this.#state;
    if (s.kind !== 'active' && s.kind !== 'pending') return;
    const t = this.#transitions();
    const { sid, handle } = t.mint(s.meta.userId);
    await t.run({ type: 'regenerate', newSid: sid, handle });
  }

  async save(): Promise<void> {
    this.#assertOpen();
    await this.#transitions().save();
  }

  /**
   * For adapters: whether `commit()` has anything to do right now (a record to write, a
   * cookie or header to send). A read of an existing session answers false.
   */
  get needsCommit(): boolean {
    return this.#state.kind === 'pending' || this.#changes.isDirty() || this.#t?.hasHeaders === true;
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
    const t = this.#transitions();
    await t.save();
    const headers = t.responseHeaders();
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
    return revokeSessions(this.#m, userId, this.#transitions().key()!);
  }

  get #meta(): SessionMeta | undefined {
    const s = this.#state;
    return s.kind === 'active' || s.kind === 'pending' ? s.meta : undefined;
  }

  /** The lifecycle state: anonymous until the first transition. */
  get #state(): LifecycleState {
    return this.#t === null ? ANONYMOUS : this.#t.state;
  }

  #transitions(): Transitions {
    this.#t ??= new Transitions(this.#m, this.#req, this.#changes, this.#viaHeader);
    return this.#t;
  }

  #header(name: string): string | undefined {
    return headerOf(this.#req, name);
  }

  #preSessionCookie(): string | null {
    return this.#preSession ?? readPreSession(this.#m, (name) => this.#header(name));
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
}
