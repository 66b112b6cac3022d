/**
 * One request's migration from express-session (see migrate.ts): runs only when the request
 * carries no Tessera token, and costs nothing more than a cookie scan unless it carries a
 * validly signed old cookie. Then: take the old record from its source (one round trip, read
 * and delete), map it with the app's `migrate`, and create the new session with login
 * semantics (`store.rotate`: the per-user cap applies). A parallel request of this process
 * with the same old cookie waits for the first and shares its session; one of another process
 * finds the record gone (atomic sources) and goes on anonymous.
 */
import { readCookie, serializeCookie } from './cookie.js';
import { isSessionError } from './errors.js';
import type { ManagerInternals } from './manager.js';
import type {
  ExpressSessionMigration,
  MigratedSession,
  MigrationOutcome,
  MigrationResult,
  TakenSession,
} from './migrate.js';

/** What the migration needs of the request it runs for (request-transitions.ts provides it). */
export interface MigrationHost {
  readonly m: ManagerInternals;
  header(name: string): string | undefined;
  setCookie(name: string, line: string): void;
  /**
   * Create the new session now: the data set (each key checked as `set()` does) and, with a
   * user, signed in by one rotate; `absoluteTimeoutMs` bounds its lifetime. Answers its sid and
   * handle. Throws what `set()` and `login()` throw; the caller then calls `reset()`.
   */
  start(
    userId: string | null,
    data: Readonly<Record<string, unknown>>,
    absoluteTimeoutMs: number | undefined,
  ): Promise<{ readonly sid: string; readonly handle: string }>;
  /** Forget what a failed `start()` began: the request goes on anonymous. */
  reset(): void;
  /** Adopt the session a parallel request of this process created, and send its cookie. */
  join(sid: string): Promise<{ readonly handle: string; readonly userId: string | null } | null>;
}

export async function migrateRequest(host: MigrationHost, mig: ExpressSessionMigration): Promise<void> {
  const lookup = readCookie(host.header('cookie'), mig.cookieName, host.m.cookieLimits);
  if (lookup.status !== 'found') return;
  const sid = mig.verify(lookup.value);
  // A forged or foreign cookie is not ours to clear: another app may own the name.
  if (sid === null) return report(host.m, mig, 'forged', null, null);
  const running = mig.inFlight.get(sid);
  if (running !== undefined) {
    const first = await running;
    const joined = first.sid !== null ? await host.join(first.sid) : null;
    if (first.clearOld) clearOld(host, mig);
    if (joined !== null) return report(host.m, mig, 'joined', joined.handle, joined.userId);
    return report(host.m, mig, first.outcome === 'ok' ? 'missing' : first.outcome, null, null);
  }
  const work = migrateOnce(host, mig, sid);
  mig.inFlight.set(sid, work);
  try {
    const result = await work;
    if (result.clearOld) clearOld(host, mig);
  } finally {
    mig.inFlight.delete(sid);
  }
}

function clearOld(host: MigrationHost, mig: ExpressSessionMigration): void {
  host.setCookie(mig.cookieName, serializeCookie(mig.oldCookie(host.m.cookie.secure), '', { maxAge: 0 }));
}

function report(
  m: ManagerInternals,
  mig: ExpressSessionMigration,
  outcome: MigrationOutcome,
  handle: string | null,
  userId: string | null,
): void {
  mig.counts[outcome]++;
  m.emit({ type: 'migrated', at: m.clock.now(), from: 'express-session', outcome, handle, userId });
}

async function migrateOnce(
  host: MigrationHost,
  mig: ExpressSessionMigration,
  sid: string,
): Promise<MigrationResult> {
  const m = host.m;
  const source = mig.source;
  const now = m.clock.now();
  const taken = await m.call(`migrate: ${source.name} take`, null, () => source.take(sid, { now }));
  const end = (
    outcome: MigrationOutcome,
    clear: boolean,
    handle: string | null = null,
    userId: string | null = null,
  ) => {
    report(m, mig, outcome, handle, userId);
    return { outcome, sid: null, clearOld: clear };
  };
  if (taken === null) return end('missing', true);
  const old = taken.value;
  if (typeof old !== 'object' || old === null || Array.isArray(old)) {
    logFailure(m, source.name, 'the old session is not an object', null);
    return end('invalid', true);
  }
  const lifetime = lifetimeOf(old as Record<string, unknown>, taken.expiresAt, now);
  if (lifetime === 'expired') return end('expired', true);
  // Bounded by the policy: the new session never lives longer than a login's would.
  const absolute = lifetime === null ? undefined : Math.min(lifetime, m.policy.absoluteTimeoutMs);
  let mapped: MigratedSession;
  try {
    mapped = await mig.migrate(old as Record<string, unknown>);
    if (typeof mapped !== 'object' || mapped === null)
      throw new TypeError('migrate() must answer { userId, data }');
  } catch (error) {
    logFailure(m, source.name, 'migrate() threw', error);
    await restore(m, mig, sid, taken);
    return end('invalid', false);
  }
  const data = mapped.data ?? {};
  if (mapped.userId === null && Object.keys(data).length === 0) return end('ok', true);
  try {
    const created = await host.start(mapped.userId, data, absolute);
    report(m, mig, 'ok', created.handle, mapped.userId);
    return { outcome: 'ok', sid: created.sid, clearOld: true };
  } catch (error) {
    host.reset();
    await restore(m, mig, sid, taken);
    if (isSessionError(error, 'session_limit')) return end('limit', false, null, mapped.userId);
    // The store failed (503) or the token collided: the old record is back, the error goes on.
    if (isSessionError(error, 'store_unavailable') || isSessionError(error, 'session_conflict')) throw error;
    logFailure(m, source.name, 'migrate() answered what a session cannot hold', error);
    return end('invalid', false);
  }
}

/**
 * The longest the migrated session may live, ms from now, or `'expired'`, or null for no bound
 * besides the policy. Expired: the record's `cookie.expires` or the source's own expiry is not
 * after now. Otherwise `cookie.originalMaxAge`: express-session moves `expires` to
 * now + originalMaxAge on every request, so that is exactly what this request would have left
 * the old session; a browser-session cookie (no maxAge) sets no bound.
 */
export function lifetimeOf(
  old: Record<string, unknown>,
  sourceExpiresAt: number | null,
  now: number,
): number | null | 'expired' {
  if (sourceExpiresAt !== null && !(sourceExpiresAt > now)) return 'expired';
  const cookie = old.cookie;
  if (typeof cookie !== 'object' || cookie === null) return null;
  const { expires, originalMaxAge } = cookie as { expires?: unknown; originalMaxAge?: unknown };
  if (expires !== undefined && expires !== null) {
    const at =
      typeof expires === 'string'
        ? Date.parse(expires)
        : expires instanceof Date
          ? expires.getTime()
          : Number.NaN;
    // An expiry that does not parse is not trusted to be in the future.
    if (!(at > now)) return 'expired';
  }
  if (typeof originalMaxAge === 'number' && Number.isFinite(originalMaxAge) && originalMaxAge >= 1)
    return Math.round(originalMaxAge);
  return null;
}

async function restore(
  m: ManagerInternals,
  mig: ExpressSessionMigration,
  sid: string,
  taken: TakenSession,
): Promise<void> {
  const put = mig.source.restore;
  if (put === undefined) return;
  try {
    await m.call(`migrate: ${mig.source.name} restore`, null, () =>
      put.call(mig.source, sid, taken, { now: m.clock.now() }),
    );
  } catch (error) {
    logFailure(m, mig.source.name, 'putting the old session back failed; it is lost', error);
  }
}

function logFailure(m: ManagerInternals, source: string, what: string, error: unknown): void {
  const cause = error === null ? '' : ` (${(error as Error)?.message ?? String(error)})`;
  try {
    m.logger?.error(`[tessera] express-session migration (${source}): ${what}${cause}`);
  } catch {
    // The logger may not break the request.
  }
}
