/**
 * The near cache's invalidation channel: per Redis master, one connection of our own that
 * runs `CLIENT TRACKING ON REDIRECT <its own id> BCAST PREFIX <key prefix>` and then
 * `SUBSCRIBE __redis__:invalidate`, so the server pushes the name of every key under the
 * prefix that anything changes, deletes, expires or evicts (or `null` on FLUSHALL).
 *
 * Why BCAST and not default tracking: on Redis 7.0 default tracking remembers the keys a
 * script *declares* (our scripts declare a base and derive the session key), so a change
 * of the session hash is never reported. BCAST reports every modified key under the
 * prefix, whoever read it. Why RESP2 and a subscription: ioredis drops RESP3 `invalidate`
 * pushes, and a RESP2 connection receives them only as messages on `__redis__:invalidate`.
 * Tracking is per node and per connection: it is set up again on every (re)connect, and
 * the cache serves nothing until every master's connection has confirmed it.
 */
import type { Cluster, Redis } from 'ioredis';

export interface InvalidationSink {
  invalidate(key: string): void;
  flush(): void;
  setUp(up: boolean): void;
}

const CHANNEL = '__redis__:invalidate';

/** One master: the connection, its state, and its heartbeat. */
class NodeListener {
  up = false;
  readonly #conn: Redis;
  #pingSentAt: number | undefined;
  #closed = false;

  constructor(
    node: Redis,
    private readonly prefix: string,
    private readonly sink: InvalidationSink,
    private readonly onState: () => void,
  ) {
    // RESP2 (see above); no keyPrefix (the channel name is not a key, and the prefix is in
    // `prefix` already); our own resubscription, because tracking must come first; our own
    // retries, because a Cluster's node connections never reconnect (the Cluster replaces
    // them), and the channel must come back by itself.
    this.#conn = node.duplicate({
      retryStrategy: (times: number) => Math.min(times * 50, 1000),
      protocol: 2,
      keyPrefix: undefined,
      autoResubscribe: false,
      enableOfflineQueue: false,
      connectionName: 'tessera-near-cache',
      lazyConnect: false,
    });
    this.#conn.on('ready', () => void this.#track());
    for (const event of ['close', 'end', 'reconnecting', 'error'] as const)
      this.#conn.on(event, () => this.#down());
    this.#conn.on('messageBuffer', (channel: Buffer, message: unknown) => {
      if (channel.toString() !== CHANNEL) return;
      // `null`: the server flushed a database (or tracking's table overflowed): drop all.
      if (!Array.isArray(message)) this.sink.flush();
      else for (const key of message) this.sink.invalidate(String(key));
    });
  }

  async #track(): Promise<void> {
    try {
      const id = await this.#conn.client('ID');
      await this.#conn.call(
        'CLIENT',
        'TRACKING',
        'ON',
        'REDIRECT',
        String(id),
        'BCAST',
        'PREFIX',
        this.prefix,
      );
      await this.#conn.subscribe(CHANNEL);
      if (this.#closed || this.#conn.status !== 'ready') return;
      this.#pingSentAt = undefined;
      this.up = true;
      this.onState();
    } catch {
      // Not tracked, so never up: reconnect and try again.
      if (!this.#closed) this.#conn.disconnect(true);
    }
  }

  #down(): void {
    this.#pingSentAt = undefined;
    if (this.up) {
      this.up = false;
      this.onState();
    } else {
      this.sink.flush();
    }
  }

  /**
   * A PING answered on this connection proves every invalidation sent before it arrived.
   * One unanswered for `lagMs` means the channel lags: drop it (the cache flushes and
   * serves nothing) and reconnect.
   */
  heartbeat(now: number, lagMs: number): void {
    if (!this.up) return;
    if (this.#pingSentAt !== undefined) {
      if (now - this.#pingSentAt >= lagMs) {
        this.#down();
        this.#conn.disconnect(true);
      }
      return;
    }
    this.#pingSentAt = now;
    this.#conn.ping().then(
      () => {
        this.#pingSentAt = undefined;
      },
      () => {},
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.up = false;
    this.#conn.disconnect();
  }
}

export class InvalidationChannel {
  readonly #listeners = new Map<string, NodeListener>();
  readonly #timer: ReturnType<typeof setInterval>;
  #up = false;
  #closed = false;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly prefix: string,
    private readonly sink: InvalidationSink,
    maxStalenessMs: number,
  ) {
    if (client.isCluster) {
      const cluster = client as Cluster;
      for (const event of ['ready', 'refresh', '+node', '-node'] as const) cluster.on(event, this.#sync);
    }
    this.#sync();
    // Lag is judged well inside the staleness bound, so a stuck channel is noticed early.
    const lagMs = Math.max(10, Math.floor(maxStalenessMs / 2));
    this.#timer = setInterval(
      () => {
        const now = performance.now();
        for (const l of this.#listeners.values()) l.heartbeat(now, lagMs);
      },
      Math.max(5, Math.floor(lagMs / 2)),
    );
    this.#timer.unref();
  }

  /** One listener per current master (Cluster), or one for the client's server. */
  readonly #sync = (): void => {
    if (this.#closed) return;
    const masters = new Map<string, Redis>();
    if (this.client.isCluster) {
      for (const node of (this.client as Cluster).nodes('master'))
        masters.set(`${node.options.host}:${node.options.port}`, node);
    } else {
      masters.set('', this.client as Redis);
    }
    let changed = false;
    for (const [name, listener] of this.#listeners) {
      if (masters.has(name)) continue;
      void listener.close();
      this.#listeners.delete(name);
      changed = true;
    }
    for (const [name, node] of masters) {
      if (this.#listeners.has(name)) continue;
      this.#listeners.set(name, new NodeListener(node, this.prefix, this.sink, () => this.#state()));
      changed = true;
    }
    // A new master may already own slots whose writes we have not been told about.
    if (changed) this.#state(true);
  };

  #state(force = false): void {
    const up = !this.#closed && this.#listeners.size > 0 && [...this.#listeners.values()].every((l) => l.up);
    if (up !== this.#up || force || !up) {
      this.#up = up;
      this.sink.setUp(up);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    if (this.client.isCluster) {
      const cluster = this.client as Cluster;
      for (const event of ['ready', 'refresh', '+node', '-node'] as const) cluster.off(event, this.#sync);
    }
    await Promise.all([...this.#listeners.values()].map((l) => l.close()));
    this.#listeners.clear();
    this.sink.setUp(false);
  }
}
