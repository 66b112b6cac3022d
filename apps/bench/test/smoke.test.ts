/**
 * Smoke test of the bench harness (the bench itself never runs in CI): one Tessera
 * contender in process, against a throwaway redis-server, and the measuring functions
 * give the known answers: 1 Redis command per read-only request, 2 per change, 0 without a
 * cookie; and a load run through autocannon is bounded and counted.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RedisServer, redisAvailable, serviceMissing, startRedis } from '@tessera/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contenderNamed } from '../src/contenders.js';
import { cookieHeader, createPool, sequential } from '../src/http.js';
import { clientCommandsDuring, commandStats, diffStats, processCpuUs, total } from '../src/redis-stats.js';
import { markdownTable, median, pairedSvg, readOnlySvg, type Sample, toRows } from '../src/report.js';

const skip = !redisAvailable() && serviceMissing('redis-server', 'install redis-server (Redis 7) on PATH');

/** One contender's Hono server on a throwaway Redis, with a small pool of signed-in cookies. */
interface Smoke {
  readonly redis: RedisServer;
  readonly server: Server;
  readonly url: string;
  readonly cookies: string[];
  close(): Promise<void>;
}

async function startSmoke(contender: string): Promise<Smoke> {
  const redis = await startRedis();
  process.env.BENCH_REDIS_URL = redis.url;
  const { honoApp } = await import('../src/server/hono.js');
  const { closeAll } = await import('../src/server/stores.js');
  const server = await honoApp(contenderNamed(contender));
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const cookies = await createPool(url, 5, 2);
  return {
    redis,
    server,
    url,
    cookies,
    async close() {
      server.closeAllConnections();
      server.close();
      await closeAll();
      await redis.stop();
    },
  };
}

describe.skipIf(skip)('bench harness', () => {
  let redis: RedisServer;
  let admin: Redis;
  let smoke: Smoke;
  let url: string;
  let cookies: string[];

  beforeAll(async () => {
    smoke = await startSmoke('tessera-hono+redis');
    ({ redis, url, cookies } = smoke);
    admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    admin?.disconnect();
    await smoke?.close();
  });

  it('builds a cookie header from Set-Cookie lines, last value per name', () => {
    expect(cookieHeader(['a=1; Path=/', 'b=2; HttpOnly', 'a=3; Max-Age=0'])).toBe('a=3; b=2');
    expect(cookies.every((c) => /^sid=[\w.-]+$/.test(c))).toBe(true);
  });

  it('counts 1 command sent per read-only request (MONITOR): a plain HGETALL, no script', async () => {
    // The first call of each script on a fresh server costs NOSCRIPT + EVAL; the bench warms up too.
    await sequential(url, 'read', cookies, 1);
    await sequential(url, 'write', cookies, 1);
    const before = await commandStats(admin);
    const sent = await clientCommandsDuring(redis.port, () => sequential(url, 'read', cookies, 10));
    const after = await commandStats(admin);
    const executed = diffStats(before.calls, after.calls);
    expect(sent.count / 10).toBe(1);
    expect([...sent.names]).toEqual(['hgetall']);
    expect(sent.sentShare).toEqual({ hgetall: 1 });
    // No touch is due (the sessions are fresh): nothing else ran.
    expect(executed).toEqual({ hgetall: 10 });
    expect(total(executed)).toBe(10);
    const usec = diffStats(before.usec, after.usec);
    expect(usec.hgetall).toBeGreaterThan(0);
  });

  it('a change sends HGETALL + EVALSHA; the update script reads only m and the named key (no HGETALL)', async () => {
    const before = await commandStats(admin);
    const sent = await clientCommandsDuring(redis.port, () => sequential(url, 'write', cookies, 4));
    const executed = diffStats(before.calls, (await commandStats(admin)).calls);
    expect(sent.count).toBe(8);
    expect([...sent.names].sort()).toEqual(['evalsha', 'hgetall']);
    expect(sent.sentShare).toEqual({ evalsha: 1, hgetall: 1 });
    // Inside the script: HGET m, HSTRLEN of `n`, one HSET (the key and the new size in m).
    expect(executed).toMatchObject({ hgetall: 4, evalsha: 4, hget: 4, hstrlen: 4, hset: 4 });
  });

  it('reads the redis-server process CPU from /proc', async () => {
    const info = await admin.info('server');
    const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
    const cpu = processCpuUs(pid);
    expect(cpu).not.toBeNull();
    expect(cpu).toBeGreaterThanOrEqual(0);
    expect(processCpuUs(2 ** 30)).toBeNull();
  });

  it('counts 2 per change and 0 without a cookie', async () => {
    expect((await clientCommandsDuring(redis.port, () => sequential(url, 'write', cookies, 5))).count).toBe(
      10,
    );
    expect((await clientCommandsDuring(redis.port, () => sequential(url, 'none', cookies, 5))).count).toBe(0);
    // One hot session: the same one cookie on every request, still one command each.
    expect((await clientCommandsDuring(redis.port, () => sequential(url, 'hot', cookies, 5))).count).toBe(5);
  });

  it('reports medians, ratios to the bare framework, a table and a chart', () => {
    const sample = (reqPerSec: number): Sample => ({
      reqPerSec,
      p50Ms: 1,
      p99Ms: 2,
      cpuUsPerReq: 100,
      userUsPerReq: 80,
      storeCmdsPerReq: null,
      redisExecutedPerReq: null,
      redisCommands: null,
      redisUsecByCommand: null,
      redisUsecPerReq: null,
      redisProcessCpuUsPerReq: null,
      loaderCpuUsPerReq: null,
      failures: 0,
    });
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const rows = toRows(
      new Map([
        [
          'hono|read',
          {
            c: contenderNamed('hono'),
            scenario: 'read' as const,
            samples: [sample(1000), sample(900), sample(1100)],
          },
        ],
        [
          'tessera-hono+redis|read',
          { c: contenderNamed('tessera-hono+redis'), scenario: 'read' as const, samples: [sample(500)] },
        ],
      ]),
    );
    expect(rows.find((r) => r.name === 'tessera-hono+redis')?.ratioToBare).toBe(0.5);
    expect(rows.find((r) => r.name === 'tessera-hono+redis')?.serverUserUsPerReq).toBe(80);
    expect(markdownTable(rows)).toContain('| tessera-hono+redis | read | 100 (0%) | 500 (0%) |');
    // The spread: (max − min) / median of the passes, 200 / 1000.
    expect(rows.find((r) => r.name === 'hono')?.reqPerSecSpreadPct).toBe(20);
    expect(markdownTable(rows)).toContain('| hono | read | 100 (0%) | 1000 (20%) |');
    expect(readOnlySvg(rows, [contenderNamed('hono'), contenderNamed('tessera-hono+redis')], 'x')).toMatch(
      /^<svg[\s\S]*<\/svg>\n$/,
    );
    const paired = pairedSvg(
      [
        {
          tessera: 'tessera-koa+redis',
          peer: 'koa-session+koa-redis',
          want: 1.2,
          slices: 6,
          reqPerSecRatio: 1.21,
          cpuRatio: 1.23,
        },
        {
          tessera: 'tessera-hono+redis',
          peer: 'hono-sessions+redis',
          want: 2,
          slices: 6,
          reqPerSecRatio: 1.34,
          cpuRatio: 1.39,
        },
      ],
      'x',
    );
    expect(paired).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
    expect(paired).toContain('1.21×');
    expect(paired).toContain('target 1.2× (met)');
    expect(paired).toContain('target 2× (not met)');
  });
});

describe.skipIf(skip)('bench harness: Tessera on node-redis (tessera-hono+node-redis)', () => {
  let redis: RedisServer;
  let smoke: Smoke;
  let url: string;
  let cookies: string[];

  beforeAll(async () => {
    smoke = await startSmoke('tessera-hono+node-redis');
    ({ redis, url, cookies } = smoke);
  });

  afterAll(async () => {
    await smoke?.close();
  });

  it('the same budgets as on ioredis: 1 command per read, 2 per change, 0 without a cookie', async () => {
    await sequential(url, 'read', cookies, 1);
    await sequential(url, 'write', cookies, 1);
    expect((await clientCommandsDuring(redis.port, () => sequential(url, 'read', cookies, 10))).count).toBe(
      10,
    );
    expect((await clientCommandsDuring(redis.port, () => sequential(url, 'write', cookies, 5))).count).toBe(
      10,
    );
    expect((await clientCommandsDuring(redis.port, () => sequential(url, 'none', cookies, 5))).count).toBe(0);
    // One hot session: the same one cookie on every request, still one command each.
    expect((await clientCommandsDuring(redis.port, () => sequential(url, 'hot', cookies, 5))).count).toBe(5);
  });
});

describe.skipIf(skip)('bench harness: the near cache contender (tessera-hono+redis+near)', () => {
  let redis: RedisServer;
  let smoke: Smoke;
  let url: string;
  let cookies: string[];

  beforeAll(async () => {
    smoke = await startSmoke('tessera-hono+redis+near');
    ({ redis, url, cookies } = smoke);
  });

  afterAll(async () => {
    await smoke?.close();
  });

  it('a read of a cached session sends nothing to Redis; a change still sends its commands', async () => {
    // The first read of each session fills the cache (1 command); the second is a hit (0).
    await sequential(url, 'read', cookies.slice(0, 5), 5);
    expect(
      (await clientCommandsDuring(redis.port, () => sequential(url, 'read', cookies.slice(0, 5), 5))).count,
    ).toBe(0);
    expect(
      (await clientCommandsDuring(redis.port, () => sequential(url, 'write', cookies.slice(0, 5), 5))).count,
    ).toBeGreaterThanOrEqual(5);
  });
});
