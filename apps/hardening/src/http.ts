/**
 * One simulated device over real HTTP: `fetch` with its own cookie jar (cookies by hand, as
 * a browser keeps them), and every answer timed, so a test can say when a failure happened.
 */
import { CookieJar, readBody } from '@tessera/session-testing';
export interface Answer {
  readonly status: number;
  readonly body: unknown;
  /** When the request was sent and when its answer was read (Date.now()). */
  readonly t0: number;
  readonly t1: number;
}

export class Device {
  readonly jar = new CookieJar();
  csrf = '';

  constructor(readonly base: string) {}

  async send(method: string, path: string, json?: unknown): Promise<Answer> {
    const headers: Record<string, string> = { 'user-agent': 'tessera-hardening' };
    const cookie = this.jar.header();
    if (cookie) headers.cookie = cookie;
    if (method !== 'GET' && this.csrf) headers['x-csrf-token'] = this.csrf;
    if (json !== undefined) headers['content-type'] = 'application/json';
    const t0 = Date.now();
    try {
      const res = await fetch(this.base + path, {
        method,
        headers,
        body: json === undefined ? undefined : JSON.stringify(json),
        redirect: 'manual',
        signal: AbortSignal.timeout(15_000),
      });
      this.jar.absorb(res);
      // A response that gave the session a new token hands over its CSRF token (a page's
      // script keeps it): the pre-session token stops counting once a session exists.
      this.csrf = res.headers.get('x-csrf-token') ?? this.csrf;
      return { status: res.status, body: await readBody(res), t0, t1: Date.now() };
    } catch (error) {
      // No HTTP answer at all (connection refused or reset: the server is gone). Status 0
      // so the suites can count it; a crash of the app shows up here.
      return { status: 0, body: String(error), t0, t1: Date.now() };
    }
  }

  /** The session cookie's value, to replay it later. */
  cookie(): string | undefined {
    return this.jar.get('__Host-sid');
  }
}

/** True for the body every adapter answers when the store is down. */
export function isStoreUnavailable(a: Answer): boolean {
  return (
    a.status === 503 &&
    typeof a.body === 'object' &&
    a.body !== null &&
    (a.body as { error?: unknown }).error === 'session_store_unavailable'
  );
}
