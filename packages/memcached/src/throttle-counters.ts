/**
 * The login throttle's counters on memcached: one item per counter (`<prefix>ta:<hash>` for an
 * account, `<prefix>ti:<hash>` for an address: the core's hashes, never the name or the IP),
 * holding `count:lastAt`, with a TTL of its window after the latest failure, so nothing needs
 * sweeping. Routed by the hash, so the two counters of an attempt may live on two servers.
 *
 * memcached has no scripts, and `incr` cannot also record the time of the failure or restart a
 * counter whose window (by the core's clock) has passed. So a failure is a CAS read-modify-write
 * per counter, as the store's session updates are: `mg … v c`, then `ms … C<cas>` (or `ME`,
 * add-only, for a counter that does not exist), retried on a conflict. No increment is ever
 * lost, but a failure costs TWO round trips (both counters in parallel), plus one per conflict
 * under contention. A check is one round trip (the two `mg` together, per server), a success one.
 */
import {
  liveCount,
  SessionError,
  type StoreCallOptions,
  type ThrottleCallOptions,
  type ThrottleCount,
  type ThrottleCounters,
  type ThrottleCounts,
  type ThrottleKeys,
} from '@tessera/session-core';
import { exptimeOf } from './internal/codec.js';
import { backoff, type Ctx, expect, fanOut } from './internal/ops.js';
import type { MetaResponse } from './meta-client.js';

/** Contention on one counter is a burst of failed logins: allow more attempts than a session update. */
const MIN_ATTEMPTS = 200;

export class MemcachedThrottleCounters implements ThrottleCounters {
  readonly atomic = true;
  readonly #ctx: Ctx;

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
  }

  async read(keys: ThrottleKeys, options: ThrottleCallOptions): Promise<ThrottleCounts> {
    const [a, i] = await fanOut(this.#ctx, [
      { routing: keys.account, command: { line: `mg ${this.#item('ta', keys.account)} v` } },
      { routing: keys.ip, command: { line: `mg ${this.#item('ti', keys.ip)} v` } },
    ]);
    return {
      account: parse(a, options.now, options.accountWindowMs),
      ip: parse(i, options.now, options.ipWindowMs),
    };
  }

  async fail(keys: ThrottleKeys, options: ThrottleCallOptions): Promise<ThrottleCounts> {
    const [account, ip] = await Promise.all([
      this.#add('ta', keys.account, options.now, options.accountWindowMs),
      this.#add('ti', keys.ip, options.now, options.ipWindowMs),
    ]);
    return { account, ip };
  }

  async reset(keys: ThrottleKeys, _options: StoreCallOptions): Promise<void> {
    const [r] = await fanOut(this.#ctx, [
      { routing: keys.account, command: { line: `md ${this.#item('ta', keys.account)}` } },
    ]);
    expect(r, ['HD', 'NF'], 'md');
  }

  #item(kind: 'ta' | 'ti', hash: string): string {
    return `${this.#ctx.prefix}${kind}:${hash}`;
  }

  async #add(kind: 'ta' | 'ti', hash: string, now: number, windowMs: number): Promise<ThrottleCount> {
    const item = this.#item(kind, hash);
    const server = this.#ctx.client.serverFor(hash);
    const attempts = Math.max(this.#ctx.casRetries, MIN_ATTEMPTS);
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await backoff(attempt);
      const [r] = await this.#ctx.client.exec(server, [{ line: `mg ${item} v c` }]);
      expect(r, ['VA', 'EN'], 'mg');
      const before = parse(r, now, windowMs);
      const after = { count: before.count + 1, lastAt: Math.max(before.lastAt, now) };
      const bytes = Buffer.from(`${after.count}:${after.lastAt}`, 'latin1');
      const ttl = Math.max(1, exptimeOf(after.lastAt + windowMs, now));
      const mode = r!.code === 'VA' ? `C${r!.flags.get('c')}` : 'ME';
      const [w] = await this.#ctx.client.exec(server, [
        { line: `ms ${item} ${bytes.length} T${ttl} ${mode}`, data: bytes },
      ]);
      expect(w, ['HD', 'NS', 'EX', 'NF'], 'ms');
      if (w!.code === 'HD') return after;
    }
    throw new SessionError(
      'store_unavailable',
      `[tessera] [memcached] throttle.fail gave up after ${attempts} CAS conflicts on one counter; raise casRetries if this is expected load.`,
    );
  }
}

function parse(r: MetaResponse | undefined, now: number, windowMs: number): ThrottleCount {
  if (r?.code !== 'VA' || !r.value) return liveCount(0, 0, now, windowMs);
  const [count, lastAt] = r.value.toString('latin1').split(':').map(Number);
  return liveCount(count ?? Number.NaN, lastAt ?? Number.NaN, now, windowMs);
}
