// The contract suites' HTTP client: a cookie jar over fetch that keeps the CSRF token and checks Cache-Control.
import { CookieJar, readBody } from './cookie-jar.js';

const SID = '__Host-sid';
/** The cookies the session middleware sets: the session's and the pre-session CSRF one. */
const SESSION_COOKIE_RE = /^(__Host-sid|__Host-csrf)=/;
const NO_STORE_RE = /(^|,)\s*no-store\s*(,|$)/i;

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  /** Set-Cookie lines for the session cookie. */
  readonly sid: string[];
}

/** A cookie jar over fetch: remembers what the server set, sends it back by hand. */
export class Browser {
  readonly jar = new CookieJar();
  csrf = '';
  constructor(readonly base: string) {}

  async send(
    method: string,
    path: string,
    init: { json?: unknown; form?: string; headers?: Record<string, string>; csrf?: boolean } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.jar.header();
    if (cookie && headers.cookie === undefined) headers.cookie = cookie;
    if (init.csrf !== false && this.csrf && method !== 'GET') headers['x-csrf-token'] ??= this.csrf;
    let body: string | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = init.form;
    }
    const res = await fetch(this.base + path, { method, headers, body, redirect: 'manual' });
    const lines = this.jar.absorb(res);
    // A response that changed the session's token hands over its new CSRF token, as a page's
    // script would keep it.
    const token = res.headers.get('x-csrf-token');
    if (token) this.csrf = token;
    // Checked on every request of both suites: a cached response carrying a session cookie
    // hands one user's session to whoever the cache answers next (SPEC §2).
    if (
      lines.some((l) => SESSION_COOKIE_RE.test(l)) &&
      !NO_STORE_RE.test(res.headers.get('cache-control') ?? '')
    ) {
      throw new Error(
        `${method} ${path} answered ${res.status} with a session Set-Cookie but Cache-Control: ${res.headers.get('cache-control')}`,
      );
    }
    return {
      status: res.status,
      headers: res.headers,
      body: await readBody(res),
      sid: lines.filter((l) => l.startsWith(`${SID}=`)),
    };
  }

  /** GET /state, remembering the CSRF token it hands out. */
  async state(): Promise<Reply & { body: State }> {
    const r = await this.send('GET', '/state');
    const body = r.body as State;
    if (r.status === 200) this.csrf = body.csrfToken;
    return { ...r, body };
  }

  async login(userId: string): Promise<Reply> {
    await this.state();
    const r = await this.send('POST', '/login', { json: { userId } });
    await this.state();
    return r;
  }
}

export interface State {
  authenticated: boolean;
  userId: string | null;
  handle: string | null;
  csrfToken: string;
  data: Record<string, unknown>;
}
