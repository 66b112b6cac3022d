/** Test helpers: start the demo in-process on a free port, and a fetch client with a cookie jar. */
import {
  createLoginThrottle,
  createSessionManager,
  type LoginThrottleOptions,
  MemoryStore,
  type SessionManagerOptions,
} from '@tessera/session-core';
import { CookieJar, type InstrumentedStore, instrumentStore, readBody } from '@tessera/session-testing';
import type { Framework } from '../src/config.js';
import type { StartApp } from '../src/frameworks/types.js';

export const FRAMEWORKS: readonly Framework[] = ['hono', 'koa', 'express', 'nestjs', 'fastify'];

/** A wiring under test: a framework, or NestJS on its Fastify platform (DEMO_NEST_PLATFORM=fastify). */
export type Wiring = Framework | 'nestjs-fastify';
export const WIRINGS: readonly Wiring[] = [...FRAMEWORKS, 'nestjs-fastify'];

export const STARTERS: Record<Wiring, () => Promise<{ start: StartApp }>> = {
  hono: () => import('../src/frameworks/hono.js'),
  koa: () => import('../src/frameworks/koa.js'),
  express: () => import('../src/frameworks/express.js'),
  nestjs: async () => ({ start: (await import('../src/frameworks/nestjs.js')).startOn('express') }),
  fastify: () => import('../src/frameworks/fastify.js'),
  'nestjs-fastify': async () => ({
    start: (await import('../src/frameworks/nestjs.js')).startOn('fastify'),
  }),
};

export interface RunningDemo {
  /** http://localhost:<port>, as the demo reports it. */
  readonly url: string;
  /** The memory store behind the demo, wrapped so a test can take it down. */
  readonly store: InstrumentedStore;
  close(): Promise<void>;
}

/**
 * The demo on `framework`, port 0, over an instrumented memory store, with the login throttle's
 * defaults (as `pnpm start` has them) unless `throttle` says otherwise.
 */
export async function startDemo(
  framework: Wiring,
  policy: Omit<SessionManagerOptions, 'store'> = {},
  throttleOptions: Omit<LoginThrottleOptions, 'store'> = {},
): Promise<RunningDemo> {
  const store = instrumentStore(new MemoryStore());
  const manager = createSessionManager({ store, ...policy });
  const throttle = createLoginThrottle({ store, ...throttleOptions });
  const app = await (await STARTERS[framework]()).start(manager, 0, throttle);
  return { url: app.url, store, close: () => app.close() };
}

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
