/**
 * A bounded wait, for the core and for store authors: the answer of `work`, or the error
 * `onTimeout()` builds once `ms` have passed. An abandoned `work` that fails later is
 * swallowed (never an unhandled rejection).
 *
 * Every store call of every request goes through here, so it must cost next to nothing:
 * waits of the same duration share one timer. Their deadlines arrive in the order they were
 * added, so each duration keeps a FIFO queue; the timer is armed for the oldest live
 * deadline, a settled wait is only marked (and dropped when the queue reaches it), and the
 * timer keeps the process alive only while some wait is still live.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  // A store method that forgot `async` hands over a plain value (or a bare thenable): make it
  // a real promise before anything calls .then/.catch on it, or the timer would throw later.
  const p = Promise.resolve(work);
  return new Promise<T>((resolve, reject) => {
    const queue = queueFor(ms);
    const wait = queue.add(() => {
      p.catch(() => {});
      // Whatever onTimeout does, this wait fails and the queue's other waits stay bounded.
      try {
        reject(onTimeout());
      } catch (error) {
        reject(error);
      }
    });
    p.then(
      (value) => {
        queue.settle(wait);
        resolve(value);
      },
      (error: unknown) => {
        queue.settle(wait);
        reject(error);
      },
    );
  });
}

const now = (): number => performance.now();

/**
 * A timer handle as the runtimes hand it out: Node and Bun give an object that can be
 * ref'd/unref'd, Deno and browsers a number. Typed without Node's types, so the main entry
 * type-checks with `types: []` (tsconfig.web.json).
 */
type Timer = ReturnType<typeof setTimeout> & { ref?(): unknown; unref?(): unknown };

/**
 * The waits of one duration, oldest first, in a ring: wait number `n` (counted from 0 as they
 * are added) lives in slot `n & mask`, its deadline in `#deadlines` and its callback in
 * `#fires` (null once settled or fired). A wait leaves nothing behind for the whole duration:
 * an object per wait did (with its boxed deadline), two per request with Redis, each
 * surviving into the old generation: a Hono + Redis server promoted ~180 bytes per request
 * (now ~25) and paused ~1 µs more per request in the garbage collector.
 */
class DeadlineQueue {
  readonly #ms: number;
  #deadlines = new Float64Array(64);
  #fires: ((() => void) | null)[] = new Array<null>(64).fill(null);
  #mask = 63;
  /** Number of the oldest wait still in the ring, and of the next one added. */
  #head = 0;
  #tail = 0;
  #live = 0;
  #timer: Timer | undefined;

  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Queue `fire` for `ms` from now; answers the wait's number, for `settle`. */
  add(fire: () => void): number {
    if (this.#tail - this.#head > this.#mask) this.#grow();
    const n = this.#tail++;
    const slot = n & this.#mask;
    this.#deadlines[slot] = now() + this.#ms;
    this.#fires[slot] = fire;
    if (this.#live++ === 0) this.#timer?.ref?.();
    if (this.#timer === undefined) this.#arm(this.#ms);
    return n;
  }

  /** The work answered first: the wait will be skipped, its callback freed now. */
  settle(n: number): void {
    if (n < this.#head) return;
    const slot = n & this.#mask;
    if (this.#fires[slot] === null) return;
    this.#fires[slot] = null;
    // Nothing live: the armed timer must not hold the process open on its own.
    if (--this.#live === 0) this.#timer?.unref?.();
  }

  /** Twice the room, each wait in the slot its number maps to under the new mask. */
  #grow(): void {
    const size = (this.#mask + 1) * 2;
    const deadlines = new Float64Array(size);
    const fires = new Array<(() => void) | null>(size).fill(null);
    for (let n = this.#head; n < this.#tail; n++) {
      deadlines[n & (size - 1)] = this.#deadlines[n & this.#mask]!;
      fires[n & (size - 1)] = this.#fires[n & this.#mask]!;
    }
    this.#deadlines = deadlines;
    this.#fires = fires;
    this.#mask = size - 1;
  }

  #arm(delay: number): void {
    this.#timer = setTimeout(this.#expire, Math.max(1, Math.ceil(delay))) as Timer;
    if (this.#live === 0) this.#timer.unref?.();
  }

  readonly #expire = (): void => {
    this.#timer = undefined;
    const t = now();
    while (this.#head < this.#tail) {
      const slot = this.#head & this.#mask;
      const fire = this.#fires[slot]!;
      if (fire !== null && this.#deadlines[slot]! > t) break;
      this.#head++;
      if (fire !== null) {
        this.#fires[slot] = null;
        this.#live--;
        fire();
      }
    }
    if (this.#head === this.#tail) {
      // Empty: forget this duration (a caller with varying durations must not grow the map).
      if (queues.get(this.#ms) === this) queues.delete(this.#ms);
      return;
    }
    this.#arm(this.#deadlines[this.#head & this.#mask]! - t);
  };
}

const queues = new Map<number, DeadlineQueue>();

function queueFor(ms: number): DeadlineQueue {
  let queue = queues.get(ms);
  if (queue === undefined) {
    queue = new DeadlineQueue(ms);
    queues.set(ms, queue);
  }
  return queue;
}
