/**
 * The durable lane: the connection `durability`'s script + WAIT go through, the client's
 * `duplicate()` (same options), opened at the first durable write.
 *
 * Why not the client's own connection: WAIT blocks the connection it is sent on until the
 * replicas acknowledge or its timeout passes, and a client sends every command for a node on
 * one connection. While a shard has no replica to acknowledge (after a failover, until one
 * rejoins) each login or logout there would hold every read and update queued behind it for
 * `durability.timeoutMs`: a burst of logouts stalled the whole shard for seconds in the
 * Cluster failover suite. On a connection of its own, WAIT holds up only durable writes.
 *
 * Its life follows the client's: it is closed when the client ends (closed by its owner, or
 * reconnection given up), and by `store.close()`. A lane that ended is opened again at the
 * next durable write, if the client is usable again by then.
 */
import type { StoreClient } from './client.js';

/** The EventEmitter slice both clients have. */
export interface Emitter {
  once(event: string, listener: () => void): unknown;
  removeListener?(event: string, listener: () => void): unknown;
}

export class Lane {
  #ended = false;

  /**
   * `client` speaks to `duplicate`, a connection of the lane's own; `source` is the user's
   * client, `sourceEnd` / `laneEnd` the events that say each has ended for good; `shut`
   * closes the duplicate gracefully (replies in flight are still read).
   */
  constructor(
    readonly client: StoreClient,
    private readonly source: Emitter,
    private readonly sourceEnd: string,
    duplicate: Emitter,
    laneEnd: string,
    private readonly shut: () => void,
  ) {
    source.once(sourceEnd, this.close);
    duplicate.once(laneEnd, () => {
      this.#ended = true;
      this.#detach();
    });
  }

  /** Closed by us, or ended by itself: the next durable write opens a new lane. */
  get ended(): boolean {
    return this.#ended;
  }

  readonly close = (): void => {
    if (this.#ended) return;
    this.#ended = true;
    this.#detach();
    this.shut();
  };

  #detach(): void {
    this.source.removeListener?.(this.sourceEnd, this.close);
  }
}
