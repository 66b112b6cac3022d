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
  /** Tessera on Redis (ioredis): the store's opt-in near cache, default options. */
  readonly nearCache?: boolean;
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
  // The same three with the Redis store's near cache on (reads of a cached session: no round trip).
  ...(['express', 'koa', 'hono'] as const).map(
    (framework): Contender => ({
      name: `tessera-${framework}+redis+near`,
      framework,
      library: 'tessera',
      store: 'redis',
      kind: 'tessera',
      nearCache: true,
    }),
  ),
  { name: 'tessera-nestjs+redis', framework: 'nestjs', library: 'tessera', store: 'redis', kind: 'tessera' },
  { name: 'tessera-hono+memory', framework: 'hono', library: 'tessera', store: 'memory', kind: 'tessera' },
  { name: 'tessera-koa+memory', framework: 'koa', library: 'tessera', store: 'memory', kind: 'tessera' },
  {
    name: 'tessera-express+memory',
    framework: 'express',
    library: 'tessera',
    store: 'memory',
    kind: 'tessera',
  },
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
export const SCENARIOS = ['read', 'hot', 'write', 'login', 'none'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Sends a session cookie: every request one of the pool's (`many`), or always the first (`one`). */
  readonly cookie: false | 'many' | 'one';
}

export const ROUTES: Readonly<Record<Scenario, Route>> = {
  /** Read-only request on an existing authenticated session, the pool's sessions in turn. */
  read: { method: 'GET', path: '/read', cookie: 'many' },
  /** The same on one hot session (every request carries the same cookie). */
  hot: { method: 'GET', path: '/read', cookie: 'one' },
  /** Changes one key (`n`) of an existing session. */
  write: { method: 'POST', path: '/write', cookie: 'many' },
  /** Login from a request without a session: new token, per-user index and cap (200 users). */
  login: { method: 'POST', path: '/login', cookie: false },
  /** No cookie; the handler does not touch the session. */
  none: { method: 'GET', path: '/none', cookie: false },
};

/** The cookies a scenario's requests carry, from the server's pool. */
export function cookiesFor(route: Route, pool: readonly string[]): readonly string[] | null {
  if (route.cookie === false) return null;
  return route.cookie === 'one' ? pool.slice(0, 1) : pool;
}
