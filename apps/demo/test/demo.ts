/** Test helpers: start the demo in-process on a free port, and a fetch client with a cookie jar. */
import {
  createLoginThrottle,
  createSessionManager,
  type LoginThrottleOptions,
  MemoryStore,
  type SessionManagerOptions,
} from '@tessera/session-core';
import { type InstrumentedStore, instrumentStore } from '@tessera/session-testing';
import type { Framework } from '../src/config.js';
import type { StartApp } from '../src/frameworks/types.js';

export { type Answer, Client } from './client.js';

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
