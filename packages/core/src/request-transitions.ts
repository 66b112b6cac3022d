/**
 * The lifecycle side of one request's session (request.ts owns one): its state, the
 * transitions that change it, run one after another against the store (effects.ts), and what
 * they write (store keys, response headers). Created on first use: a request that presents no
 * token and only reads makes none; one that reads a session makes it in place of the effect
 * host object (and its closures) it needed anyway: it is the effect and migration host itself.
 */
import type { DataChanges } from './changes.js';
import { clientOf } from './client.js';
import { type EffectHost, runTransition, sessionCookieLine } from './effects.js';
import { SessionError } from './errors.js';
import { ANONYMOUS, type LifecycleEvent, type LifecycleState, transition } from './lifecycle.js';
import type { ManagerInternals } from './manager.js';
import type { ResponseHeaders, SessionRequest } from './request.js';
import { checkDataKey, checkUserId } from './request-input.js';
import { loadEventOf } from './request-load.js';
import type { MigrationHost } from './request-migrate.js';
import { PendingHeaders } from './response-headers.js';
import type { SessionKey, StoredClient } from './store.js';
import { handleOf } from './token.js';

/** A request header by lower-case name, as a string or undefined. */
export function headerOf(req: SessionRequest, name: string): string | undefined {
  const v = req.header(name);
  return typeof v === 'string' ? v : undefined;
}

export class Transitions implements EffectHost, MigrationHost {
  state: LifecycleState = ANONYMOUS;
  /** The sid this request presented and the store knew, to tell when commit() changed it. */
  loadedSid: string | null = null;
  #lastKey: { readonly sid: string; readonly key: SessionKey } | null = null;
  #client: StoredClient | null = null;
  // Created on first use: a transition that sends nothing allocates none.
  #out: PendingHeaders | null = null;
  /** The latest store operation of this request, so the next waits for it. */
  #busy: Promise<void> | null = null;

  constructor(
    readonly m: ManagerInternals,
    readonly req: SessionRequest,
    readonly changes: DataChanges,
    /** Known before the first transition: set by load() only, which runs before any. */
    readonly viaHeader: boolean,
  ) {}

  header(name: string): string | undefined {
    return headerOf(this.req, name);
  }

  /** Load the session of a well-formed token in one store round trip, and judge it. */
  async loadToken(sid: string, tag: string): Promise<void> {
    const m = this.m;
    const key = m.codec.keyOf(sid, tag);
    this.#lastKey = { sid, key };
    const handle = handleOf(key);
    const now = m.clock.now();
    const result = await m.call('load', handle, () =>
      m.store.load(key, { now, touchIntervalMs: m.policy.touchIntervalMs }),
    );
    const client = {
      ip: this.req.ip,
      userAgent: this.header('user-agent'),
      current: () => this.#currentClient(),
    };
    const event = loadEventOf(m, sid, handle, now, result, client, this.changes);
    await this.#apply(event, true);
    if (this.state.kind !== 'active') this.changes.clear();
    else this.loadedSid = this.state.sid;
  }

  /** A migrated session (request-migrate.ts), created now: the data set, then signed in or stored. */
  async start(
    userId: string | null,
    data: Readonly<Record<string, unknown>>,
    absoluteTimeoutMs: number | undefined,
  ): Promise<{ sid: string; handle: string }> {
    if (userId !== null) checkUserId(userId);
    if (typeof data !== 'object' || data === null || Array.isArray(data))
      throw new SessionError('invalid_data', 'migrate() must answer `data` as an object.');
    const policy = this.m.policy;
    // Anonymous: the first key mints the session (as set() does); signed in: the rotate below does.
    const mint = userId === null ? () => this.ensureSession(absoluteTimeoutMs) : () => undefined;
    for (const [k, v] of Object.entries(data)) {
      checkDataKey(k);
      this.changes.set(k, v, policy, mint);
    }
    if (userId === null) {
      await this.run({ type: 'commit', dirty: true });
    } else {
      await this.run(this.loginEvent(userId, undefined, absoluteTimeoutMs));
    }
    const s = this.state;
    if (s.kind !== 'active')
      throw new SessionError('session_conflict', 'the migrated session was not created.');
    return { sid: s.sid, handle: s.meta.handle };
  }

  reset(): void {
    this.state = ANONYMOUS;
    this.changes.clear();
    this.changes.forgetChanges();
  }

  async join(sid: string): Promise<{ handle: string; userId: string | null } | null> {
    const dot = sid.indexOf('.');
    await this.loadToken(sid, dot === -1 ? '' : sid.slice(0, dot));
    this.loadedSid = null;
    const s = this.state;
    if (s.kind !== 'active') {
      this.changes.clear();
      return null;
    }
    // New to this client: its cookie (and, at commit, its CSRF token) go out with this response.
    const now = this.m.clock.now();
    this.setCookie(this.m.cookie.name, sessionCookieLine(this.m, sid, s.meta.absoluteExpiresAt, now));
    return { handle: s.meta.handle, userId: s.meta.userId };
  }

  /** Run `event` after the store operations before it. */
  run(event: LifecycleEvent): Promise<void> {
    return this.#serial(() => this.#apply(event));
  }

  /** Write what changed (dirty as it is once the operations before it ran). */
  save(): Promise<void> {
    return this.#serial(() => this.#apply({ type: 'commit', dirty: this.changes.isDirty() }));
  }

  /** The headers to send once committed. */
  responseHeaders(): ResponseHeaders {
    const s = this.state;
    // A new token (created, signed in, regenerated) makes the page's CSRF token stale: hand
    // the client the new one with the response that changed it.
    const csrf: [string, string][] =
      s.kind === 'active' && s.sid !== this.loadedSid && this.m.policy.csrf.enabled
        ? [[this.m.policy.csrf.headerName, this.m.codec.csrfTokenOf(s.sid)]]
        : [];
    return this.#out === null ? (csrf as ResponseHeaders) : this.#out.lines(csrf);
  }

  get hasHeaders(): boolean {
    return this.#out !== null && !this.#out.isEmpty;
  }

  mint(userId: string | null): { sid: string; handle: string } {
    const tag = this.m.store.shardTag ? this.m.store.shardTag(userId) : '';
    const sid = this.m.codec.mint(tag);
    return { sid, handle: handleOf(this.m.codec.keyOf(sid, tag)) };
  }

  /** A login to a new token, with the per-login durations when given. */
  loginEvent(userId: string, idle: number | undefined, absolute: number | undefined): LifecycleEvent {
    const { sid, handle } = this.mint(userId);
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

  ensureSession(absoluteTimeoutMs?: number): void {
    if (this.state.kind === 'active' || this.state.kind === 'pending') return;
    const { sid, handle } = this.mint(null);
    // A write never needs the store until commit; run the pure transition directly.
    this.state = transition(
      this.state,
      {
        type: 'write',
        newSid: sid,
        handle,
        client: this.#currentClient(),
        ...(absoluteTimeoutMs !== undefined ? { absoluteTimeoutMs } : {}),
      },
      { now: this.m.clock.now(), policy: this.m.policy },
    ).state;
  }

  key(): SessionKey | null {
    const s = this.state;
    return s.kind === 'active' || s.kind === 'pending' ? this.keyOf(s.sid) : null;
  }

  keyOf(sid: string): SessionKey {
    // The last sid's key is remembered: a write needs the key load already hashed.
    if (this.#lastKey !== null && this.#lastKey.sid === sid) return this.#lastKey.key;
    const dot = sid.indexOf('.');
    const key = this.m.codec.keyOf(sid, dot === -1 ? '' : sid.slice(0, dot));
    this.#lastKey = { sid, key };
    return key;
  }

  setCookie(name: string, line: string): void {
    this.#headers().setCookie(name, line);
  }

  setHeader(name: string, value: string): void {
    this.#headers().set(name, value);
  }

  #headers(): PendingHeaders {
    this.#out ??= new PendingHeaders();
    return this.#out;
  }

  #currentClient(): StoredClient {
    this.#client ??= clientOf(this.req.ip, this.header('user-agent'));
    return this.#client;
  }

  /** Store operations of one request run one after another (a `save()` not awaited, then `commit()`). */
  #serial(run: () => Promise<void>): Promise<void> {
    const before = this.#busy;
    const p = before ? before.then(run, run) : run();
    this.#busy = p;
    return p;
  }

  async #apply(event: LifecycleEvent, duringLoad = false): Promise<void> {
    this.state = await runTransition(this, this.state, event, duringLoad);
  }
}
