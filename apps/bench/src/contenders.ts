/**
 * Every contender the bench runs: a framework, a session library (or none: the bare
 * baseline) and a store. Each runs in its own server process (`src/server.ts`).
 */
export const FRAMEWORKS = ['express', 'koa', 'hono', 'fastify', 'nestjs'] as const;
export type Framework = (typeof FRAMEWORKS)[number];
export type StoreKind = 'none' | 'redis' | 'memory' | 'postgres' | 'memcached';
export type Kind = 'bare' | 'peer' | 'tessera';

export interface Contender {
  /** Unique, used on the command line (`--only=`) and in the JSON. */
  readonly name: string;
  readonly framework: Framework;
  readonly library: string;
  readonly store: StoreKind;
  readonly kind: Kind;
  /** Tessera on Redis: the client its store runs on. @default 'ioredis' */
  readonly redisClient?: 'ioredis' | 'node-redis';
}

export const CONTENDERS: readonly Contender[] = [
  { name: 'express', framework: 'express', library: 'bare', store: 'none', kind: 'bare' },
  { name: 'koa', framework: 'koa', library: 'bare', store: 'none', kind: 'bare' },
  { name: 'hono', framework: 'hono', library: 'bare', store: 'none', kind: 'bare' },
  { name: 'fastify', framework: 'fastify', library: 'bare', store: 'none', kind: 'bare' },
  { name: 'nestjs', framework: 'nestjs', library: 'bare', store: 'none', kind: 'bare' },
  {
    name: 'express-session+connect-redis',
    framework: 'express',
    library: 'express-session',
    store: 'redis',
    kind: 'peer',
  },
  {
    name: 'express-session+memory',
    framework: 'express',
    library: 'express-session',
    store: 'memory',
    kind: 'peer',
  },
  { name: 'koa-session+koa-redis', framework: 'koa', library: 'koa-session', store: 'redis', kind: 'peer' },
  {
    name: '@fastify/session+connect-redis',
    framework: 'fastify',
    library: '@fastify/session',
    store: 'redis',
    kind: 'peer',
  },
  { name: 'hono-sessions+redis', framework: 'hono', library: 'hono-sessions', store: 'redis', kind: 'peer' },
  {
    name: 'tessera-express+redis',
    framework: 'express',
    library: 'tessera',
    store: 'redis',
    kind: 'tessera',
  },
  { name: 'tessera-koa+redis', framework: 'koa', library: 'tessera', store: 'redis', kind: 'tessera' },
  {
    name: 'tessera-fastify+redis',
    framework: 'fastify',
    library: 'tessera',
    store: 'redis',
    kind: 'tessera',
  },
  { name: 'tessera-hono+redis', framework: 'hono', library: 'tessera', store: 'redis', kind: 'tessera' },
  // The same, on node-redis: the two Redis clients side by side (the store README's choice).
  {
    name: 'tessera-hono+node-redis',
    framework: 'hono',
    library: 'tessera',
    store: 'redis',
    kind: 'tessera',
    redisClient: 'node-redis',
  },
  { name: 'tessera-nestjs+redis', framework: 'nestjs', library: 'tessera', store: 'redis', kind: 'tessera' },
  { name: 'tessera-hono+memory', framework: 'hono', library: 'tessera', store: 'memory', kind: 'tessera' },
  {
    name: 'tessera-hono+postgres',
    framework: 'hono',
    library: 'tessera',
    store: 'postgres',
    kind: 'tessera',
  },
  {
    name: 'tessera-hono+memcached',
    framework: 'hono',
    library: 'tessera',
    store: 'memcached',
    kind: 'tessera',
  },
];

export function contenderNamed(name: string): Contender {
  const c = CONTENDERS.find((x) => x.name === name);
  if (!c) throw new Error(`unknown contender ${JSON.stringify(name)}`);
  return c;
}

/** The scenarios, each a route every server exposes identically. */
export const SCENARIOS = ['read', 'write', 'login', 'none'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const ROUTES: Readonly<
  Record<Scenario, { readonly method: 'GET' | 'POST'; readonly path: string; readonly cookie: boolean }>
> = {
  /** Read-only request on an existing authenticated session (one of a pool of cookies). */
  read: { method: 'GET', path: '/read', cookie: true },
  /** Changes one key (`n`) of an existing session. */
  write: { method: 'POST', path: '/write', cookie: true },
  /** Login from a request without a session: new token, per-user index and cap (200 users). */
  login: { method: 'POST', path: '/login', cookie: false },
  /** No cookie; the handler does not touch the session. */
  none: { method: 'GET', path: '/none', cookie: false },
};
