/**
 * The demo's behaviour, written once. Each framework file only wires these handlers to
 * routes (after the adapter's session and CSRF middleware), so the four read as
 * side-by-side examples of the adapters.
 */
import { isSessionError, type LoginAttempt, type Session, type SessionData } from '@tessera/session-core';
import { renderHome } from './pages.js';
import { verifyPassword } from './users.js';

/**
 * The demo's session data, typed once for every adapter (Koa's `ctx.session`, Express's
 * `req.session`...) by augmenting the core's `SessionData`. Notes live under `note:<key>`,
 * one top-level key each, so parallel writes to different notes merge.
 */
declare module '@tessera/session-core' {
  interface SessionData {
    counter: number;
    [note: `note:${string}`]: string;
  }
}
export type DemoData = SessionData;

export type DemoSession = Session<DemoData>;

export interface Reply {
  readonly status: number;
  readonly json?: unknown;
  readonly html?: string;
}

/**
 * Every reply depends on the session (the signed-in page, the devices list, the CSRF
 * token): each wiring sends it with this Cache-Control, so no browser or shared cache hands
 * one user's answer to the next request.
 */
export const CACHE_CONTROL = 'no-store';

/**
 * JSON bodies are small here: each wiring answers a larger one with BODY_TOO_LARGE, and
 * passes malformed JSON on as `null` (the handlers then answer 400 or 401).
 */
export const MAX_BODY_BYTES = 16 * 1024;
export const BODY_TOO_LARGE = { status: 413, json: { error: 'body_too_large' } } as const satisfies Reply;

const ok = (json: unknown): Reply => ({ status: 200, json });
const noContent: Reply = { status: 204 };
const NOTE_KEY_RE = /^[A-Za-z0-9_-]{1,64}$/;

function unauthenticated(): Reply {
  return { status: 401, json: { error: 'unauthenticated' } };
}

export function getSession(s: DemoSession): Reply {
  return ok({
    authenticated: s.authenticated,
    userId: s.userId,
    csrfToken: s.csrfToken,
    counter: s.get('counter') ?? 0,
    createdAt: s.createdAt,
    expiresAt: s.expiresAt,
  });
}

/** The account a login body tries, for the login throttle ('' when there is none: still counted). */
export function usernameOf(body: unknown): string {
  const { username } = (body ?? {}) as { username?: unknown };
  return typeof username === 'string' ? username : '';
}

/**
 * Runs behind each wiring's `loginThrottle()` guard, which already answered 429
 * `too_many_attempts` (with Retry-After) to an account or address over its budget. The outcome
 * goes back to the throttle: a wrong password (or an unknown user, counted alike) fails the
 * attempt, a right one forgets the account's failures.
 */
export async function login(
  s: DemoSession,
  body: unknown,
  attempt: Pick<LoginAttempt, 'failed' | 'succeeded'>,
): Promise<Reply> {
  const { username, password } = (body ?? {}) as { username?: unknown; password?: unknown };
  const userId = await verifyPassword(username, password);
  if (!userId) {
    await attempt.failed();
    return { status: 401, json: { error: 'invalid_credentials' } };
  }
  await attempt.succeeded();
  try {
    await s.login(userId);
  } catch (error) {
    if (isSessionError(error, 'session_limit')) return { status: 409, json: { error: 'session_limit' } };
    if (isSessionError(error, 'session_conflict'))
      return { status: 409, json: { error: 'session_conflict' } };
    throw error;
  }
  return ok({ userId });
}

export async function logout(s: DemoSession): Promise<Reply> {
  await s.logout();
  return noContent;
}

export function counter(s: DemoSession): Reply {
  const next = (s.get('counter') ?? 0) + 1;
  s.set('counter', next);
  return ok({ counter: next });
}

export function putNote(s: DemoSession, key: string, body: unknown): Reply {
  const value = (body ?? {}) as { value?: unknown };
  if (!NOTE_KEY_RE.test(key) || typeof value.value !== 'string' || value.value.length > 1000) {
    return { status: 400, json: { error: 'bad_note' } };
  }
  s.set(`note:${key}`, value.value);
  return noContent;
}

export function getNotes(s: DemoSession): Reply {
  // No prototype: a note named "__proto__" (a valid key) is an own property like any other.
  const notes: Record<string, string> = Object.create(null);
  for (const k of s.keys())
    if (k.startsWith('note:')) notes[k.slice(5)] = s.get(k as `note:${string}`) as string;
  return ok(notes);
}

export function getProtected(s: DemoSession): Reply {
  return s.authenticated ? ok({ userId: s.userId }) : unauthenticated();
}

export async function listSessions(s: DemoSession): Promise<Reply> {
  if (!s.authenticated) return unauthenticated();
  const list = await s.listSessions();
  return ok(
    list.map(({ handle, createdAt, lastSeenAt, ip, userAgent, current }) => ({
      handle,
      createdAt,
      lastSeenAt,
      ip,
      userAgent,
      current,
    })),
  );
}

export async function revokeSession(s: DemoSession, handle: string): Promise<Reply> {
  if (!s.authenticated) return unauthenticated();
  const done = await s.revokeSession(handle);
  return done ? noContent : { status: 404, json: { error: 'not_found' } };
}

export async function revokeOthers(s: DemoSession): Promise<Reply> {
  if (!s.authenticated) return unauthenticated();
  return ok({ revoked: await s.revokeOtherSessions() });
}

export async function home(s: DemoSession): Promise<Reply> {
  const devices = s.authenticated ? await s.listSessions() : [];
  return { status: 200, html: renderHome(s, devices) };
}
