/**
 * Moving from express-session (issue #19): `expressSession({ secrets, source })`, given to the
 * manager as `migrateFrom`, turns a valid `connect.sid` cookie into a Tessera session once.
 * This file is the configuration: the old cookie's signature check (cookie-signature's format),
 * where the old records live (`MigrationSource`, `connectStore`), the app's mapping, and the
 * counts per outcome. What a request does with it is request-migrate.ts.
 */
import { type ResolvedCookieOptions, resolveCookieOptions } from './cookie.js';
import { SessionError } from './errors.js';
import { fromBase64Url, timingSafeEqual, utf8 } from './internal/bytes.js';
import { hmacSha256 } from './internal/hash.js';

/** An old session as its source answered it: the object express-session stored, and the store's own expiry. */
export interface TakenSession {
  /** The session object express-session saved (`{ cookie: { originalMaxAge, expires, ... }, ...yours }`). */
  readonly value: unknown;
  /** When the source's backend would have dropped the record (Redis TTL, connect-pg-simple `expire`), ms since epoch; null when unknown. */
  readonly expiresAt: number | null;
}

/**
 * Where express-session kept its sessions. `take` reads one and deletes it; a source whose
 * `take` does both in one atomic step (`atomic: true`: the Redis and Postgres sources) hands a
 * record to one request only, across every process. Reject only when the backend failed.
 */
export interface MigrationSource {
  /** For messages, e.g. `connect-redis`. */
  readonly name: string;
  /** Whether `take` reads and deletes in one atomic step (two processes never both get a record). */
  readonly atomic: boolean;
  /** The old session with this sid, deleted from the source; null when there is none. */
  take(sid: string, options: { readonly now: number }): Promise<TakenSession | null>;
  /**
   * Put back a record `take` answered, when the new session could not be created (the cap
   * refused it, the store failed), unless the sid was written again meanwhile. Optional: a
   * source without it loses the old session in those cases.
   */
  restore?(sid: string, taken: TakenSession, options: { readonly now: number }): Promise<void>;
}

/** What the app's `migrate` answers: the user to sign in (null: none) and the data to carry. */
export interface MigratedSession {
  readonly userId: string | null;
  /** Top-level keys, each checked as `session.set()` checks it. @default {} */
  readonly data?: Readonly<Record<string, unknown>>;
}

/**
 * What happened to one request's old cookie (the `migrated` event's `outcome`, and the
 * `counts`): `ok` a new session was created from it; `joined` a parallel request of this
 * process created it and this one shares it; `missing` no such old session (already migrated,
 * replayed, or never existed); `expired`; `forged` the signature matched no secret (nothing
 * was read); `limit` the per-user cap (`onLimit: 'reject'`) refused the new session and the
 * old record was put back; `invalid` `migrate()` threw or answered what a session cannot hold
 * (the old record was put back, the error logged).
 */
export type MigrationOutcome = 'ok' | 'joined' | 'missing' | 'expired' | 'forged' | 'limit' | 'invalid';

export interface ExpressSessionMigrationOptions {
  /** express-session's `secret`: one or several (the first signs there; every one verifies here). */
  readonly secrets: string | readonly string[];
  /** Where the old sessions are: `connectRedisSource(...)`, `connectPgSource(...)` or `connectStore(oldStore)`. */
  readonly source: MigrationSource;
  /** express-session's `name`. @default 'connect.sid' */
  readonly cookieName?: string;
  /** The old cookie's `path` and `domain`, to clear it (a clearing cookie must name both as set). @default { path: '/' } */
  readonly cookie?: { readonly path?: string; readonly domain?: string };
  /**
   * Maps the old session object to the new session. Its result goes through the checks of
   * `login()` (user id) and `set()` (each data key). @default `{ userId: typeof old.userId === 'string' ? old.userId : null, data: {} }`
   */
  readonly migrate?: (old: Readonly<Record<string, unknown>>) => MigratedSession | Promise<MigratedSession>;
}

/** The result of one in-flight migration, for parallel requests with the same old cookie. */
export interface MigrationResult {
  readonly outcome: MigrationOutcome;
  /** The new session's token when one was created, for `joined` requests. */
  readonly sid: string | null;
  /** Whether the old cookie is to be cleared (not when its record was put back). */
  readonly clearOld: boolean;
}

const DEFAULT_MIGRATE = (old: Readonly<Record<string, unknown>>): MigratedSession => ({
  userId: typeof old.userId === 'string' ? old.userId : null,
  data: {},
});

/** Longest old sid looked up: express-session's own are 32 characters. */
const MAX_SID_LENGTH = 256;
const SID_RE = /^[\x21-\x7e]+$/;

/** `migrateFrom` for the manager: see `expressSession()`. */
export class ExpressSessionMigration {
  readonly source: MigrationSource;
  readonly migrate: (old: Readonly<Record<string, unknown>>) => MigratedSession | Promise<MigratedSession>;
  readonly cookieName: string;
  /** Migrations per outcome since start: when all but `forged` stay at 0, remove the option. */
  readonly counts: Record<MigrationOutcome, number> = {
    ok: 0,
    joined: 0,
    missing: 0,
    expired: 0,
    forged: 0,
    limit: 0,
    invalid: 0,
  };
  /** Old sids being migrated by this process: a second request waits for the first. */
  readonly inFlight = new Map<string, Promise<MigrationResult>>();
  readonly #secrets: readonly Uint8Array[];
  readonly #cookie: { readonly path?: string; readonly domain?: string };

  constructor(options: ExpressSessionMigrationOptions) {
    if (!options || typeof options !== 'object')
      throw new SessionError('invalid_config', 'expressSession(): options are required.');
    const secrets = typeof options.secrets === 'string' ? [options.secrets] : options.secrets;
    if (
      !Array.isArray(secrets) ||
      secrets.length === 0 ||
      !secrets.every((s) => typeof s === 'string' && s.length > 0)
    ) {
      throw new SessionError(
        'invalid_config',
        "expressSession(): `secrets` must be express-session's secret: a non-empty string or an array of them.",
      );
    }
    const source = options.source;
    if (!source || typeof source.take !== 'function' || typeof source.name !== 'string')
      throw new SessionError(
        'invalid_config',
        'expressSession(): `source` must be a MigrationSource (connectRedisSource, connectPgSource or connectStore).',
      );
    if (options.migrate !== undefined && typeof options.migrate !== 'function')
      throw new SessionError('invalid_config', 'expressSession(): `migrate` must be a function.');
    this.#secrets = secrets.map((s) => utf8(s));
    this.source = source;
    this.migrate = options.migrate ?? DEFAULT_MIGRATE;
    this.#cookie = { ...options.cookie };
    this.cookieName = options.cookieName ?? 'connect.sid';
    // Validates the name, path and domain now, at start-up (the manager checks them with its `secure`).
    this.oldCookie(true);
  }

  /** The old cookie's attributes, to clear it (`secure` follows the session cookie's). */
  oldCookie(secure: boolean): ResolvedCookieOptions {
    return resolveCookieOptions({
      name: this.cookieName,
      secure,
      path: this.#cookie.path ?? '/',
      ...(this.#cookie.domain !== undefined ? { domain: this.#cookie.domain } : {}),
    });
  }

  /**
   * The sid in an express-session cookie value when one of the secrets signed it, else null.
   * The value is URL-encoded `s:<sid>.<base64 HMAC-SHA-256(secret, sid) without '='>`; every
   * secret is tried, each comparison in constant time. Touches no store.
   */
  verify(cookieValue: string): string | null {
    let value: string;
    try {
      value = decodeURIComponent(cookieValue);
    } catch {
      return null;
    }
    if (!value.startsWith('s:')) return null;
    const dot = value.lastIndexOf('.');
    if (dot < 3) return null;
    const sid = value.slice(2, dot);
    if (sid.length > MAX_SID_LENGTH || !SID_RE.test(sid)) return null;
    const given = fromBase64Url(
      value
        .slice(dot + 1)
        .replace(/\+/g, '-')
        .replace(/\//g, '_'),
    );
    if (given === undefined || given.length !== 32) return null;
    let ok = false;
    // Every secret is tried (no early exit): the time does not say which one signed it.
    for (const secret of this.#secrets) if (timingSafeEqual(hmacSha256(secret, sid), given)) ok = true;
    return ok ? sid : null;
  }
}

/**
 * Sign users of an express-session app into Tessera without logging them out: give the result
 * to the manager as `migrateFrom`. See the core README, "Moving from express-session".
 */
export function expressSession(options: ExpressSessionMigrationOptions): ExpressSessionMigration {
  return new ExpressSessionMigration(options);
}

/** The callback API of a connect session store (express-session's `Store`): the three calls used. */
export interface ConnectStoreLike {
  get(sid: string, callback: (error: unknown, session?: unknown) => void): void;
  destroy(sid: string, callback?: (error?: unknown) => void): void;
  set?(sid: string, session: unknown, callback?: (error?: unknown) => void): void;
}

function callback<T>(run: (done: (error: unknown, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    run((error, value) => (error ? reject(error) : resolve(value)));
  });
}

/**
 * A `MigrationSource` over any connect store (the `store` you gave express-session): `get`
 * then `destroy`, two calls and **not atomic**. In one process, parallel requests with the same
 * old cookie still make one session (the manager waits for the first); two processes that
 * read the same old session at the same moment can each create one. Prefer the store's own
 * source (`connectRedisSource`, `connectPgSource`) where there is one.
 */
export function connectStore(store: ConnectStoreLike): MigrationSource {
  if (!store || typeof store.get !== 'function' || typeof store.destroy !== 'function')
    throw new SessionError('invalid_config', 'connectStore(): pass the connect store express-session used.');
  const set = store.set;
  return {
    name: 'connect-store',
    atomic: false,
    async take(sid) {
      const value = await callback<unknown>((done) => store.get(sid, done));
      if (value === undefined || value === null) return null;
      await callback<void>((done) => store.destroy(sid, done));
      return { value, expiresAt: null };
    },
    ...(typeof set === 'function'
      ? {
          async restore(sid: string, taken: TakenSession) {
            await callback<void>((done) => set.call(store, sid, taken.value, done));
          },
        }
      : {}),
  };
}
