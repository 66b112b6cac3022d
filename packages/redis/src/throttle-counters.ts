/**
 * The login throttle's counters on Redis: one hash per counter (`c` count, `l` latest failure),
 * expiring by itself (PEXPIRE of its window after every failure: nothing to sweep), and one
 * Lua script per call, so an increment is atomic however many app processes race.
 *
 * Keys: `<prefix>{<hash>}ta` for an account and `<prefix>{<hash>}ti` for an address. The hash
 * is the core's (43 base64url characters: never the account name or the IP), and it is the
 * hash tag, so each counter has its own Cluster slot. Standalone: one script reads or counts
 * both counters, one round trip. Cluster: the two counters live in different slots, so a
 * check or a failure is two scripts sent together (one round trip of latency, two commands);
 * a success touches only the account's counter, one command either way.
 */
import {
  countOf,
  type StoreCallOptions,
  type ThrottleCallOptions,
  type ThrottleCount,
  type ThrottleCounters,
  type ThrottleCounts,
  type ThrottleKeys,
} from '@tessera/session-core';
import type { ScriptRunner } from './internal/runner.js';
import { type Script, script } from './internal/scripts.js';

// ARGV[1] now; ARGV[1 + i] the window of KEYS[i]. A counter is live while now < l + window.
// Answers count and latest failure per key, 0 0 when absent or expired.
const READ = `
local now = tonumber(ARGV[1])
local out = {}
for i, k in ipairs(KEYS) do
  local m = redis.call('HMGET', k, 'c', 'l')
  local c, l = tonumber(m[1]), tonumber(m[2])
  if not c or not l or now >= l + tonumber(ARGV[1 + i]) then c = 0; l = 0 end
  out[#out + 1] = c
  out[#out + 1] = l
end
return out
`;

// The same arguments: add one failure to each counter (restarting an expired one at 1).
const FAIL = `
local now = tonumber(ARGV[1])
local out = {}
for i, k in ipairs(KEYS) do
  local window = tonumber(ARGV[1 + i])
  local m = redis.call('HMGET', k, 'c', 'l')
  local c, l = tonumber(m[1]), tonumber(m[2])
  if not c or not l or now >= l + window then c = 0; l = now end
  c = c + 1
  if now > l then l = now end
  redis.call('HSET', k, 'c', string.format('%d', c), 'l', string.format('%d', l))
  redis.call('PEXPIRE', k, math.max(1, l + window - now))
  out[#out + 1] = c
  out[#out + 1] = l
end
return out
`;

const RESET = `return redis.call('DEL', KEYS[1])`;

const THROTTLE_SCRIPTS = Object.freeze({
  read: script('throttle.read', READ, ''),
  fail: script('throttle.fail', FAIL, ''),
  reset: script('throttle.reset', RESET, ''),
});

export class RedisThrottleCounters implements ThrottleCounters {
  readonly atomic = true;
  readonly #runner: ScriptRunner;
  readonly #prefix: string;
  readonly #cluster: boolean;

  constructor(runner: ScriptRunner, prefix: string, cluster: boolean) {
    this.#runner = runner;
    this.#prefix = prefix;
    this.#cluster = cluster;
  }

  read(keys: ThrottleKeys, options: ThrottleCallOptions): Promise<ThrottleCounts> {
    return this.#both(THROTTLE_SCRIPTS.read, keys, options);
  }

  fail(keys: ThrottleKeys, options: ThrottleCallOptions): Promise<ThrottleCounts> {
    return this.#both(THROTTLE_SCRIPTS.fail, keys, options);
  }

  async reset(keys: ThrottleKeys, _options: StoreCallOptions): Promise<void> {
    await this.#runner.run(THROTTLE_SCRIPTS.reset, [this.#accountKey(keys)], []);
  }

  #accountKey(keys: ThrottleKeys): string {
    return `${this.#prefix}{${keys.account}}ta`;
  }

  async #both(s: Script, keys: ThrottleKeys, options: ThrottleCallOptions): Promise<ThrottleCounts> {
    const now = String(options.now);
    const accountWindow = String(options.accountWindowMs);
    const ipWindow = String(options.ipWindowMs);
    const ipKey = `${this.#prefix}{${keys.ip}}ti`;
    if (!this.#cluster) {
      const reply = await this.#runner.run(
        s,
        [this.#accountKey(keys), ipKey],
        [now, accountWindow, ipWindow],
      );
      return { account: countAt(reply, 0), ip: countAt(reply, 2) };
    }
    const [account, ip] = await Promise.all([
      this.#runner.run(s, [this.#accountKey(keys)], [now, accountWindow]),
      this.#runner.run(s, [ipKey], [now, ipWindow]),
    ]);
    return { account: countAt(account, 0), ip: countAt(ip, 0) };
  }
}

function countAt(reply: unknown, at: number): ThrottleCount {
  const values = Array.isArray(reply) ? reply : [];
  return countOf(values[at], values[at + 1]);
}
