/**
 * The one place that knows which Redis client the store was given. ioredis (`Redis`,
 * `Cluster`) and node-redis (`createClient`, `createCluster`, `createSentinel`) are told
 * apart by shape, never by `instanceof`: neither package is imported at run time.
 *
 * Everything above this file speaks `StoreClient`: send EVALSHA/EVAL for some keys, send it
 * with a WAIT on the same connection, and say whether the client can take a command now.
 * The ioredis side is in `ioredis-client.ts`; node-redis' is below.
 */
import { type IoRedisLike, IoRedisStoreClient } from './ioredis-client.js';
import { Lane } from './lane.js';

/**
 * An ioredis `Redis` (standalone or Sentinel) or `Cluster`. Described by shape rather than
 * imported from `ioredis`, so the store's types compile for a project that only has node-redis.
 */
export interface IoRedisClient {
  readonly status: string;
  // biome-ignore lint/suspicious/noExplicitAny: ioredis' overloads (callbacks, Buffers).
  evalsha(...args: any[]): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  eval(...args: any[]): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: ioredis' EventEmitter signature.
  once(event: 'ready', listener: (...args: any[]) => void): unknown;
}
/**
 * A node-redis client from `createClient()`, `createCluster()` or `createSentinel()`, of any
 * modules, scripts, RESP version or type mapping. Described by shape rather than imported
 * from `redis`, so the store's types compile for a project that only has ioredis.
 */
export interface NodeRedisClient {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: the three shapes' signatures differ.
  sendCommand(...args: any[]): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: node-redis' EventEmitter signature.
  once(event: 'ready', listener: (...args: any[]) => void): unknown;
}

/** What the store accepts as `client`. */
export type AnyRedisClient = IoRedisClient | NodeRedisClient;

/** `scriptAndWait`'s arguments: the script (its text when it must be EVAL'd), keys, arguments, then WAIT's. */
export type ScriptAndWaitArgs = [
  lua: string | undefined,
  sha: string,
  keys: readonly string[],
  args: readonly string[],
  replicas: number,
  waitMs: number,
];

/** `[error, reply]` of the script, then of the WAIT. */
export type DurableReplies = [[Error | null, unknown], [Error | null, unknown]];

export interface StoreClient {
  readonly kind: 'ioredis' | 'node-redis';
  readonly cluster: boolean;
  /** Prefix the client adds to keys itself (ioredis `keyPrefix`): part of the server-side name. */
  readonly clientPrefix: string;
  /** Prefix the store must add (node-redis `keyPrefix`, which raw commands bypass). */
  readonly ownPrefix: string;
  /** Whether `durability` can send WAIT after the script on a connection of its own (`openLane`). */
  readonly canWait: boolean;
  /** For messages: the client's connection state. */
  state(): string;
  /** `undefined` when a command can go now; else settles when it can (rejects: never will). */
  whenReady(): Promise<void> | undefined;
  /** EVALSHA, or EVAL with `lua`. `signal` abandons a command still waiting to be written. */
  script(
    lua: string | undefined,
    sha: string,
    keys: readonly string[],
    args: readonly string[],
    signal?: AbortSignal,
  ): Promise<unknown>;
  /**
   * HGETALL of `key`, as the client answers it: a flat array on RESP2, a Map or an object on
   * RESP3 (node-redis type mapping), strings or Buffers. Always the master of the key's slot.
   */
  hgetall(key: string, signal?: AbortSignal): Promise<unknown>;
  /** The script and `WAIT replicas ms` written together on one connection (one round trip). */
  scriptAndWait(...call: ScriptAndWaitArgs): Promise<DurableReplies>;
  /** A duplicate of the client, for durable writes: see `lane.ts`. Only when `canWait`. */
  openLane(): Lane;
  /** Whether `script` takes an AbortSignal (node-redis): the runner then makes one per call. */
  readonly abortable: boolean;
}

interface SendOptions {
  abortSignal?: AbortSignal;
}

/** The slice of node-redis this store uses (the three shapes differ in `sendCommand`). */
interface NodeRedisLike extends NodeRedisClient {
  once(event: 'ready' | 'connect' | 'end' | 'disconnect', listener: () => void): unknown;
  on?(event: 'error', listener: () => void): unknown;
  removeListener?(event: string, listener: () => void): unknown;
  /** A new client with the same options, not connected. */
  duplicate?(): NodeRedisLike;
  connect?(): Promise<unknown>;
  /** node-redis 5+: close once the replies in flight are read; `quit` before that. */
  close?(): Promise<unknown>;
  quit?(): Promise<unknown>;
  destroy?(): unknown;
  readonly options?: { keyPrefix?: unknown };
  readonly _keyPrefix?: unknown;
  /** Cluster only. */
  getSlotMaster?: unknown;
  /** Cluster only (node-redis 6): the master connection that serves `key`'s slot. */
  getNodeClientForKey?(key: string, isReadonly?: boolean): Promise<NodeRedisLike>;
  /** Sentinel only: lease one master connection. */
  use?<T>(fn: (client: NodeRedisLike) => Promise<T>): Promise<T>;
}

/** Whether `c` is an object whose members have these `typeof`s: how a client is told apart. */
function shaped(c: unknown, members: Readonly<Record<string, string>>): boolean {
  if (typeof c !== 'object' || c === null) return false;
  const o = c as Record<string, unknown>;
  for (const name in members) if (typeof o[name] !== members[name]) return false;
  return true;
}

const IOREDIS_SHAPE = { evalsha: 'function', eval: 'function', once: 'function', status: 'string' };
const NODE_REDIS_SHAPE = { sendCommand: 'function', once: 'function', isOpen: 'boolean', isReady: 'boolean' };

function isIoRedis(c: unknown): c is IoRedisLike {
  return shaped(c, IOREDIS_SHAPE);
}

function isNodeRedis(c: unknown): c is NodeRedisLike {
  return shaped(c, NODE_REDIS_SHAPE);
}

/** The client's own key prefix, or `undefined` when it has none. */
function prefixOf(value: unknown): string | undefined | false {
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'string' ? value : false;
}

/**
 * Wrap `client`, or `undefined` when it is neither client. `badPrefix` is called when the
 * client's own keyPrefix is not a string (a Buffer prefix cannot be checked or combined).
 */
export function storeClientOf(
  client: unknown,
  coalesceWrites = true,
): StoreClient | undefined | 'bad-prefix' {
  if (isIoRedis(client)) {
    const p = prefixOf(client.options?.keyPrefix);
    if (p === false) return 'bad-prefix';
    return new IoRedisStoreClient(client, p ?? '', coalesceWrites);
  }
  if (isNodeRedis(client)) {
    const p = prefixOf(client.options?.keyPrefix ?? client._keyPrefix);
    if (p === false) return 'bad-prefix';
    return new NodeRedisStoreClient(client, p ?? '');
  }
  return undefined;
}

/** A settled reply as `[error, value]`, as ioredis' pipeline gives it. */
function settle(p: Promise<unknown>): Promise<[Error | null, unknown]> {
  return p.then(
    (value) => [null, value],
    (error: unknown) => [error instanceof Error ? error : new Error(String(error)), null],
  );
}

class NodeRedisStoreClient implements StoreClient {
  readonly kind = 'node-redis';
  readonly cluster: boolean;
  readonly #sentinel: boolean;
  readonly clientPrefix = '';
  readonly canWait: boolean;
  readonly abortable = true;
  #ready: Promise<void> | undefined;

  constructor(
    private readonly c: NodeRedisLike,
    readonly ownPrefix: string,
  ) {
    this.cluster = typeof c.getSlotMaster === 'function';
    this.#sentinel = !this.cluster && typeof c.use === 'function';
    this.canWait = typeof c.duplicate === 'function';
  }

  // A Cluster says it has closed with 'disconnect'; a client and a Sentinel with 'end'.
  openLane(): Lane {
    const source = this.c;
    if (!source.duplicate) throw new Error('the client has no duplicate()');
    const dup = source.duplicate();
    // A failure shows as the durable call's store_unavailable; unheard, node-redis would throw it.
    dup.on?.('error', () => {});
    dup.connect?.().catch(() => {});
    const ended = this.cluster ? 'disconnect' : 'end';
    // Gracefully when connected (replies in flight are still read); else at once, since a
    // graceful close would wait for a reconnection that may never come.
    const shut = () => {
      const graceful = dup.isReady ? (dup.close ?? dup.quit) : undefined;
      if (graceful) graceful.call(dup).catch(() => dup.destroy?.());
      else dup.destroy?.();
    };
    return new Lane(new NodeRedisStoreClient(dup, this.ownPrefix), source, ended, dup, ended, shut);
  }

  state(): string {
    return `client ${this.c.isReady ? 'ready' : this.c.isOpen ? 'reconnecting' : 'closed'}`;
  }

  // node-redis queues commands while reconnecting unless `disableOfflineQueue`: so nothing is
  // sent until it is ready again (one shared 'ready' listener), and a closed or never-connected
  // client fails at once. A Cluster stays "ready" while one master is away: there the
  // runner's abort signal is what takes a queued command back out at the timeout.
  whenReady(): Promise<void> | undefined {
    const c = this.c;
    if (c.isReady) return undefined;
    if (!c.isOpen)
      return Promise.reject(
        new Error('the node-redis client is not open (call connect(); or it was closed)'),
      );
    // A Cluster announces it is ready with 'connect' (its nodes each emit 'ready').
    this.#ready ??= new Promise<void>((resolve) => {
      c.once(this.cluster ? 'connect' : 'ready', () => {
        this.#ready = undefined;
        resolve();
      });
    });
    return this.#ready;
  }

  #args(lua: string | undefined, sha: string, keys: readonly string[], args: readonly string[]): string[] {
    return lua === undefined
      ? ['EVALSHA', sha, String(keys.length), ...keys, ...args]
      : ['EVAL', lua, String(keys.length), ...keys, ...args];
  }

  #send(c: NodeRedisLike, command: string[], firstKey: string | undefined, options?: SendOptions) {
    if (this.cluster) return c.sendCommand(firstKey, false, command, options);
    if (this.#sentinel) return c.sendCommand(false, command, options);
    return c.sendCommand(command, options);
  }

  script(
    lua: string | undefined,
    sha: string,
    keys: readonly string[],
    args: readonly string[],
    signal?: AbortSignal,
  ): Promise<unknown> {
    return this.#send(
      this.c,
      this.#args(lua, sha, keys, args),
      keys[0],
      signal === undefined ? undefined : { abortSignal: signal },
    );
  }

  hgetall(key: string, signal?: AbortSignal): Promise<unknown> {
    return this.#send(
      this.c,
      ['HGETALL', key],
      key,
      signal === undefined ? undefined : { abortSignal: signal },
    );
  }

  // Both commands are queued in the same tick on one connection, so node-redis writes them
  // together: WAIT counts the replicas that have that connection's writes. On Cluster that
  // connection is the master of the script's slot: the cluster's own `sendCommand` would
  // send a bare WAIT to every shard (its command policy for WAIT) and answer the lowest
  // count. On Sentinel, one leased master connection carries both.
  async scriptAndWait(
    ...[lua, sha, keys, args, replicas, waitMs]: ScriptAndWaitArgs
  ): Promise<DurableReplies> {
    const both = (c: NodeRedisLike, send = this.#send.bind(this)): Promise<DurableReplies> =>
      Promise.all([
        settle(send(c, this.#args(lua, sha, keys, args), keys[0])),
        settle(send(c, ['WAIT', String(replicas), String(waitMs)], keys[0])),
      ]);
    const key = keys[0];
    if (this.cluster && key !== undefined && this.c.getNodeClientForKey) {
      const node = await this.c.getNodeClientForKey(key, false);
      return both(node, (c, command) => c.sendCommand(command));
    }
    // A leased sentinel client takes `sendCommand(isReadonly, args)` like the sentinel itself.
    if (this.#sentinel && this.c.use) return this.c.use<DurableReplies>((leased) => both(leased));
    return both(this.c);
  }
}
