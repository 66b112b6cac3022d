/** A fetch client with a cookie jar and the CSRF token, as one device keeps them (also used by apps/examples/next). */
import { CookieJar, readBody } from '@tessera/session-testing';

export interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Headers;
}

/** One device: fetch with its own cookie jar (cookies by hand, as a browser would keep them). */
export class Client {
  readonly jar = new CookieJar();
  csrf = '';

  constructor(
    readonly base: string,
    readonly userAgent = 'demo-test',
  ) {}

  /** `headers['x-csrf-token'] = ''` sends no token at all; `headers.body` is a raw body to send. */
  async send(
    method: string,
    path: string,
    json?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const h: Record<string, string> = { 'user-agent': this.userAgent, ...headers };
    const cookie = this.jar.header();
    if (cookie) h.cookie = cookie;
    if (method !== 'GET' && this.csrf && !('x-csrf-token' in h)) h['x-csrf-token'] = this.csrf;
    if (h['x-csrf-token'] === '') delete h['x-csrf-token']; // '' = send none
    if (json !== undefined) h['content-type'] = 'application/json';
    const { body: raw, ...sent } = h; // headers.body = a raw body text, sent as is
    const res = await fetch(this.base + path, {
      method,
      headers: sent,
      body: raw ?? (json === undefined ? undefined : JSON.stringify(json)),
      redirect: 'manual',
    });
    this.jar.absorb(res);
    // A response that gave the session a new token hands over its CSRF token, as the page's
    // script would keep it (the pre-session token stops working once a session exists).
    this.csrf = res.headers.get('x-csrf-token') ?? this.csrf;
    return { status: res.status, body: await readBody(res), headers: res.headers };
  }

  /** GET /api/session, keeping its CSRF token for the next unsafe request. */
  async state() {
    const r = await this.send('GET', '/api/session');
    const body = r.body as {
      authenticated: boolean;
      userId: string | null;
      csrfToken: string;
      counter: number;
      createdAt: number | null;
      expiresAt: number | null;
    };
    this.csrf = body.csrfToken;
    return body;
  }

  async login(username: string, password: string): Promise<Answer> {
    await this.state();
    return this.send('POST', '/api/login', { username, password });
  }
}
