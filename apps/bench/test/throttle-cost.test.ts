/**
 * The login throttle's cost in Redis commands (issue #18), measured on a throwaway
 * redis-server: 1 command sent per check and per record (the target), and what the scripts
 * execute inside Redis. Printed for apps/bench/README.md; no timing is asserted.
 */
import { type RedisServer, redisAvailable, serviceMissing, startRedis } from '@tessera/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executedTotal, measureThrottleCost } from '../src/throttle-cost.js';

const skip = !redisAvailable() && serviceMissing('redis-server', 'install redis-server (Redis 7) on PATH');

describe.skipIf(skip)('login throttle cost in Redis commands', () => {
  let redis: RedisServer;
  let client: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  it('1 command sent per check, per failure and per success', async () => {
    const cost = await measureThrottleCost(client, Number(new URL(redis.url).port));
    process.stdout.write(`\nlogin throttle, Redis commands per call: ${JSON.stringify(cost)}\n`);
    expect(cost.sent).toEqual({ check: 1, failure: 1, success: 1 });
    // One EVALSHA each; inside it, the check reads two hashes and a failure writes both.
    expect(cost.executed.check).toMatchObject({ evalsha: 1, hmget: 2 });
    expect(cost.executed.failure).toMatchObject({ evalsha: 1, hmget: 2, hset: 2, pexpire: 2 });
    expect(cost.executed.success).toMatchObject({ evalsha: 1, del: 1 });
    expect(executedTotal(cost.executed.check)).toBe(3);
  });
});
