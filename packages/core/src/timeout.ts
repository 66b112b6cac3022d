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
    const wait = queueFor(ms).add(() => {
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
        wait.settle();
        resolve(value);
      },
      (error: unknown) => {
        wait.settle();
        reject(error);
      },
    );
  });
}

const now = (): number => performance.now();

class Wait {
  constructor(
    readonly queue: DeadlineQueue,
    readonly deadline: number,
    public fire: (() => void) | null,
  ) {}

  /** The work answered first: the wait will be skipped, its closure freed now. */
  settle(): void {
    if (this.fire === null) return;
    this.fire = null;
    this.queue.settled();
  }
}

/**
 * A timer handle as the runtimes hand it out: Node and Bun give an object that can be
 * ref'd/unref'd, Deno and browsers a number. Typed without Node's types, so the main entry
 * type-checks with `types: []` (tsconfig.web.json).
 */
type Timer = ReturnType<typeof setTimeout> & { ref?(): unknown; unref?(): unknown };

class DeadlineQueue {
  readonly #ms: number;
  #waits: Wait[] = [];
  #head = 0;
  #live = 0;
  #timer: Timer | undefined;

  constructor(ms: number) {
    this.#ms = ms;
  }

  add(fire: () => void): Wait {
    const wait = new Wait(this, now() + this.#ms, fire);
    this.#waits.push(wait);
    if (this.#live++ === 0) this.#timer?.ref?.();
    if (this.#timer === undefined) this.#arm(this.#ms);
    return wait;
  }

  settled(): void {
    // Nothing live: the armed timer must not hold the process open on its own.
    if (--this.#live === 0) this.#timer?.unref?.();
  }

  #arm(delay: number): void {
    this.#timer = setTimeout(this.#expire, Math.max(1, Math.ceil(delay))) as Timer;
    if (this.#live === 0) this.#timer.unref?.();
  }

  readonly #expire = (): void => {
    this.#timer = undefined;
    const t = now();
    const waits = this.#waits;
    while (this.#head < waits.length) {
      const wait = waits[this.#head]!;
      if (wait.fire !== null && wait.deadline > t) break;
      this.#head++;
      const fire = wait.fire;
      if (fire !== null) {
        wait.fire = null;
        this.#live--;
        fire();
      }
    }
    if (this.#head === waits.length) {
      // Empty: forget this duration (a caller with varying durations must not grow the map).
      if (queues.get(this.#ms) === this) queues.delete(this.#ms);
      return;
    }
    if (this.#head > 1024 && this.#head * 2 > waits.length) {
      this.#waits = waits.slice(this.#head);
      this.#head = 0;
    }
    this.#arm(this.#waits[this.#head]!.deadline - t);
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
