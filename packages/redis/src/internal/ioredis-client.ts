/**
 * The store's side of an ioredis `Redis` (standalone, Sentinel) or `Cluster`: its scripts, the
 * read's HGETALL, the durable script + WAIT pipeline, and write coalescing (the commands of one
 * event-loop turn in one socket write per connection). `client.ts` tells the clients apart.
 */
import type { DurableReplies, ScriptAndWaitArgs, StoreClient } from './client.js';
import { Lane } from './lane.js';

/** The socket ioredis writes to (`redis.stream`), as write coalescing uses it. */
interface Corkable {
  cork(): void;
  uncork(): void;
}

/** The slice of ioredis this store uses. */
export interface IoRedisLike {
  readonly status: string;
  readonly isCluster?: boolean;
  /** Standalone and Sentinel: the current connection's socket. */
  readonly stream?: unknown;
  /** Cluster: its connections to the masters. */
  nodes?(role: 'master'): readonly { readonly status: string; readonly stream?: unknown }[];
  readonly options?: { keyPrefix?: unknown };
  evalsha(sha: string, numKeys: number, ...args: string[]): Promise<unknown>;
  eval(lua: string, numKeys: number, ...args: string[]): Promise<unknown>;
  call(command: string, ...args: string[]): Promise<unknown>;
  once(event: 'ready' | 'end', listener: () => void): unknown;
  on?(event: 'error' | 'node error', listener: () => void): unknown;
  removeListener?(event: string, listener: () => void): unknown;
  /** A new client with the same options (a Cluster: the same startup nodes), connecting. */
  duplicate?(): IoRedisLike;
  quit?(): Promise<unknown>;
  disconnect?(): void;
  pipeline?(): {
    evalsha(sha: string, numKeys: number, ...args: string[]): unknown;
    eval(lua: string, numKeys: number, ...args: string[]): unknown;
    call(command: string, ...args: string[]): unknown;
    exec(): Promise<[Error | null, unknown][] | null>;
  };
}

const corkable = (s: unknown): s is Corkable =>
  typeof s === 'object' &&
  s !== null &&
  typeof (s as Corkable).cork === 'function' &&
  typeof (s as Corkable).uncork === 'function';

export class IoRedisStoreClient implements StoreClient {
  readonly kind = 'ioredis';
  readonly cluster: boolean;
  readonly ownPrefix = '';
  readonly canWait: boolean;
  readonly abortable = false;
  readonly #coalesce: boolean;
  #ready: Promise<void> | undefined;
  /** The sockets corked in this event-loop turn, uncorked by `#flush` (setImmediate). */
  #corked: Corkable[] | null = null;

  constructor(
    private readonly c: IoRedisLike,
    readonly clientPrefix: string,
    coalesce: boolean,
  ) {
    this.cluster = c.isCluster === true;
    this.canWait = typeof c.pipeline === 'function' && typeof c.duplicate === 'function';
    this.#coalesce = coalesce;
  }

  /**
   * Write coalescing. ioredis writes every command to its socket when it is sent: one write
   * system call per command, and Redis reads each with a read of its own. The first command
   * of an event-loop turn corks the socket and a `setImmediate` uncorks it, after every I/O
   * callback of that turn has run: the commands of all the requests that arrived together
   * leave in one write, and Redis reads them in one go (node-redis schedules its writes the
   * same way). Same commands, same order, same connection; a command waits at most until
   * the end of the turn. On a Cluster, where the node is chosen as the command is sent, every
   * master's connection that is ready is corked for the turn. Measured in the bench: Redis'
   * process CPU per read about halved.
   */
  #batch(): void {
    if (!this.#coalesce || this.#corked !== null) return;
    const streams: Corkable[] = [];
    const connections = this.cluster ? (this.c.nodes?.('master') ?? []) : [this.c];
    for (const connection of connections) {
      const stream = connection.stream;
      if (connection.status === 'ready' && corkable(stream)) streams.push(stream);
    }
    if (streams.length === 0) return;
    for (const stream of streams) stream.cork();
    this.#corked = streams;
    setImmediate(this.#flush);
  }

  readonly #flush = (): void => {
    const streams = this.#corked;
    this.#corked = null;
    // Corks nest: this undoes ours only. On a socket that has closed since, it does nothing.
    if (streams !== null) for (const stream of streams) stream.uncork();
  };

  state(): string {
    return `client status "${this.c.status}"`;
  }

  // 'wait' is a lazyConnect client that has never connected: sending connects it.
  // 'end' means the user closed the client: waiting would never end. Calls are only sent
  // once the client is ready, so they never sit in ioredis' offline queue while Redis is away.
  whenReady(): Promise<void> | undefined {
    const status = this.c.status;
    if (status === 'ready' || status === 'wait') return undefined;
    if (status === 'end') return Promise.reject(new Error('the Redis client was closed (status "end")'));
    // One shared waiter, so many waiting requests add one listener, not one each.
    this.#ready ??= new Promise<void>((resolve) => {
      this.c.once('ready', () => {
        this.#ready = undefined;
        resolve();
      });
    });
    return this.#ready;
  }

  script(lua: string | undefined, sha: string, keys: readonly string[], args: readonly string[]) {
    this.#batch();
    return lua === undefined
      ? this.c.evalsha(sha, keys.length, ...keys, ...args)
      : this.c.eval(lua, keys.length, ...keys, ...args);
  }

  // Upper case: ioredis turns a lower-case `hgetall` reply into an object, this stays flat.
  hgetall(key: string) {
    this.#batch();
    return this.c.call('HGETALL', key);
  }

  // No write coalescing on the lane: its few commands have nothing to share a write with.
  openLane(): Lane {
    const source = this.c;
    if (!source.duplicate) throw new Error('the client has no duplicate()');
    const dup = source.duplicate();
    // A failure shows as the durable call's store_unavailable; unheard, ioredis would log it.
    dup.on?.('error', () => {});
    if (dup.isCluster) dup.on?.('node error', () => {});
    // Gracefully when connected (replies in flight are still read); else at once.
    const shut = () => {
      if (dup.status === 'ready' && dup.quit) dup.quit().catch(() => dup.disconnect?.());
      else dup.disconnect?.();
    };
    return new Lane(new IoRedisStoreClient(dup, this.clientPrefix, false), source, 'end', dup, 'end', shut);
  }

  // ioredis routes a pipeline by its keys' slot; WAIT has none, so it follows the script.
  async scriptAndWait(
    ...[lua, sha, keys, args, replicas, waitMs]: ScriptAndWaitArgs
  ): Promise<DurableReplies> {
    const pipeline = this.c.pipeline?.();
    if (!pipeline) throw new Error('the client has no pipeline()');
    this.#batch();
    if (lua === undefined) pipeline.evalsha(sha, keys.length, ...keys, ...args);
    else pipeline.eval(lua, keys.length, ...keys, ...args);
    pipeline.call('WAIT', String(replicas), String(waitMs));
    const results = await pipeline.exec();
    if (results?.length !== 2) throw new Error('unexpected pipeline reply');
    return results as DurableReplies;
  }
}
