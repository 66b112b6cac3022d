/**
 * What a throttled login costs in Redis commands (issue #18): `check()` before the password,
 * `record()` after it, on the Redis store. Counted two ways, as the request figures are: the
 * commands the client sent (MONITOR, script internals left out) and every command the server
 * executed (`INFO commandstats`, script internals included). A fixed number of sequential
 * calls per kind, after a warm-up (the script cache), so no timing enters the figure.
 */
import { createLoginThrottle, type LoginThrottle } from '@tessera/session-core';
import { redisStore } from '@tessera/session-redis';
import type { Redis } from 'ioredis';
import { type CommandStats, clientCommandsDuring, commandStats, diffStats, total } from './redis-stats.js';

export interface ThrottleCost {
  /** Commands the app sent per call (round trips). */
  readonly sent: { readonly check: number; readonly failure: number; readonly success: number };
  /** Commands Redis executed per call, scripts' own included. */
  readonly executed: {
    readonly check: CommandStats;
    readonly failure: CommandStats;
    readonly success: CommandStats;
  };
}

type Kind = 'check' | 'failure' | 'success';

export async function measureThrottleCost(client: Redis, port: number, calls = 50): Promise<ThrottleCost> {
  const throttle = createLoginThrottle({ store: redisStore({ client, keyPrefix: 'bench-throttle:' }) });
  const attempt = (i: number) => ({ account: `bench-user-${i % 5}`, ip: `198.51.100.${i % 200}` });
  const run: Record<Kind, (t: LoginThrottle, i: number) => Promise<unknown>> = {
    check: (t, i) => t.check(attempt(i)),
    failure: (t, i) => t.record(attempt(i), false),
    success: (t, i) => t.record(attempt(i), true),
  };
  for (const kind of Object.keys(run) as Kind[]) await run[kind](throttle, 0); // warm the script cache
  const sent = {} as Record<Kind, number>;
  const executed = {} as Record<Kind, CommandStats>;
  for (const kind of Object.keys(run) as Kind[]) {
    const before = await commandStats(client);
    const { count } = await clientCommandsDuring(port, async () => {
      for (let i = 0; i < calls; i++) await run[kind](throttle, i);
    });
    const delta = diffStats(before.calls, (await commandStats(client)).calls);
    sent[kind] = count / calls;
    executed[kind] = Object.fromEntries(Object.entries(delta).map(([name, c]) => [name, c / calls]));
  }
  return { sent, executed };
}

export function executedTotal(stats: CommandStats): number {
  return total(stats);
}
