/**
 * The memory store's throttle counters: one Map, every call synchronous (so atomic on one
 * process) and bounded. A Map in insertion order is oldest-failure first (a failure re-inserts
 * its counter), so expired counters are swept from the front, and at `maxEntries` the counter
 * with the oldest failure is forgotten first.
 */
import type { StoreCallOptions } from '../store.js';
import {
  liveCount,
  NO_COUNT,
  type ThrottleCallOptions,
  type ThrottleCount,
  type ThrottleCounters,
  type ThrottleCounts,
  type ThrottleKeys,
} from './counters.js';

interface Counter {
  count: number;
  lastAt: number;
  windowMs: number;
}

export class MemoryThrottleCounters implements ThrottleCounters {
  readonly atomic = true;
  readonly #counters = new Map<string, Counter>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  read(keys: ThrottleKeys, options: ThrottleCallOptions): Promise<ThrottleCounts> {
    return Promise.resolve({
      account: this.#get(`a${keys.account}`, options.now, options.accountWindowMs),
      ip: this.#get(`i${keys.ip}`, options.now, options.ipWindowMs),
    });
  }

  fail(keys: ThrottleKeys, options: ThrottleCallOptions): Promise<ThrottleCounts> {
    this.#sweep(options.now);
    return Promise.resolve({
      account: this.#add(`a${keys.account}`, options.now, options.accountWindowMs),
      ip: this.#add(`i${keys.ip}`, options.now, options.ipWindowMs),
    });
  }

  reset(keys: ThrottleKeys, _options: StoreCallOptions): Promise<void> {
    this.#counters.delete(`a${keys.account}`);
    return Promise.resolve();
  }

  #get(key: string, now: number, windowMs: number): ThrottleCount {
    const c = this.#counters.get(key);
    return c ? liveCount(c.count, c.lastAt, now, windowMs) : NO_COUNT;
  }

  #add(key: string, now: number, windowMs: number): ThrottleCount {
    const before = this.#get(key, now, windowMs);
    this.#counters.delete(key);
    const counter = { count: before.count + 1, lastAt: Math.max(before.lastAt, now), windowMs };
    this.#counters.set(key, counter);
    if (this.#counters.size > this.#maxEntries) {
      const oldest = this.#counters.keys().next().value;
      if (oldest !== undefined) this.#counters.delete(oldest);
    }
    return { count: counter.count, lastAt: counter.lastAt };
  }

  /** Drop expired counters from the front (a few per call: amortised O(1)). */
  #sweep(now: number): void {
    let budget = 8;
    for (const [key, c] of this.#counters) {
      if (budget-- === 0 || now < c.lastAt + c.windowMs) return;
      this.#counters.delete(key);
    }
  }
}
