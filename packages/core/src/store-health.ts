/**
 * Store outages, visible without configuration. Each manager tracks whether its store is
 * failing: the first failure of an outage is logged once, with the operation and the cause
 * (a missing Postgres table says "run migrate()"), and the first success after it once. The
 * failures in between are counted, not logged, so a store down under load cannot flood the
 * log. Every failure is still a `store-error` event for whoever listens.
 */
import type { Clock } from './clock.js';
import type { SessionError } from './errors.js';
import type { Logger } from './logger.js';

export class StoreHealth {
  readonly #logger: Logger | null;
  readonly #store: string;
  readonly #clock: Clock;
  #outage: { since: number; failures: number } | null = null;

  constructor(logger: Logger | null, store: string, clock: Clock) {
    this.#logger = logger;
    this.#store = store;
    this.#clock = clock;
  }

  /** A store call answered. On the hot path: one comparison unless an outage just ended. */
  ok(): void {
    if (this.#outage === null) return;
    const { since, failures } = this.#outage;
    this.#outage = null;
    const seconds = Math.max(0, Math.round((this.#clock.now() - since) / 1000));
    this.#say(
      'warn',
      `[tessera] [${this.#store}] the store answers again, after ${failures} failed call${failures === 1 ? '' : 's'} over ${seconds} s.`,
    );
  }

  /** A store call failed or timed out (`error` is what the request rejects with). */
  failed(operation: string, error: SessionError): void {
    if (this.#outage !== null) {
      this.#outage.failures++;
      return;
    }
    this.#outage = { since: this.#clock.now(), failures: 1 };
    this.#say(
      'error',
      `${describe(this.#store, operation, error)} Requests that need the store answer 503 until it recovers; ` +
        'further failures are not logged until then.',
    );
  }

  #say(level: 'warn' | 'error', message: string): void {
    try {
      this.#logger?.[level](message);
    } catch {
      // A broken logger must not turn a store answer into a failed request.
    }
  }
}

/** "[tessera] [store] operation ...: what failed (cause: the driver's message)". Never a token: stores never see one. */
function describe(store: string, operation: string, error: SessionError): string {
  const prefix = `[tessera] [${store}] `;
  let detail = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  if (!detail.startsWith(operation)) detail = `${operation}: ${detail}`;
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  if (cause && !detail.includes(cause)) detail = `${detail.replace(/\.$/, '')} (cause: ${cause})`;
  return `${prefix}${detail.replace(/\.?$/, '.')}`;
}
