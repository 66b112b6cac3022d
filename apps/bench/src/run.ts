/**
 * `pnpm bench`: every contender in its own server process (pinned to CPU 0), autocannon in
 * another (pinned to CPU 1), a throwaway redis-server / memcached / Postgres schema for the
 * run. Several passes, order alternated, medians reported. Flags:
 *   --quick            1 pass, short phases, no scale check (< 2 min)
 *   --scale / --no-scale   force the 1,000 vs 1,000,000 sessions check on or off
 *   --only=a,b         only these contenders (bare baselines are added for the ratios)
 *   --passes=N --duration=S --connections=N
 *   --scenarios=read,none   only these scenarios
 *   --profile=DIR      write a V8 CPU profile of every measured phase to DIR
 *   --no-build         use the packages' dist as it is (experiments on built code)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { type MemcachedServer, type RedisServer, startMemcached, startRedis } from '@tessera/test-support';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  CONTENDERS,
  type Contender,
  contenderNamed,
  FRAMEWORKS,
  ROUTES,
  SCENARIOS,
  type Scenario,
} from './contenders.js';
import { createPool, sequential, USER_AGENT } from './http.js';
import { APP_DIR, canPin, fromSource, Loader, pin, ServerProcess } from './procs.js';
import { clientCommandsDuring, commandStats, diffStats, total } from './redis-stats.js';
import { markdownTable, median, pairedSvg, type Row, readOnlySvg, type Sample, toRows } from './report.js';
import { averageMemoryUsage, bulkLoad, sampleKeys, usedMemory } from './scale.js';
import { bulkInsertRows, deleteBulkRows, rowCount } from './scale-postgres.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];

const quick = flag('quick');
const config = {
  passes: Number(value('passes') ?? (quick ? 1 : 3)),
  durationSec: Number(value('duration') ?? (quick ? 0.4 : 1.25)),
  warmupSec: quick ? 0.4 : 0.5,
  connections: Number(value('connections') ?? 32),
  poolSize: quick ? 100 : 1000,
  calibrationRequests: quick ? 10 : 50,
  scale: flag('scale') || (!quick && !flag('no-scale')),
  scaleSessions: Number(value('scale-sessions') ?? 1_000_000),
};
const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PG_SCHEMA = 'tessera_bench';

const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Services {
  redis: RedisServer;
  admin: Redis;
  memcached: MemcachedServer | null;
  postgres: boolean;
  env: Record<string, string>;
}

const profileDir = value('profile') && resolve(value('profile')!);

async function startServices(): Promise<Services> {
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const redis = await startRedis();
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  const info = await admin.info('server');
  const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
  pin(pid, 1);
  let memcached: MemcachedServer | null = null;
  try {
    memcached = await startMemcached({ memoryMb: 256 });
  } catch (error) {
    log(`[bench] memcached unavailable, skipping its contender: ${(error as Error).message}`);
  }
  let postgres = false;
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${PG_SCHEMA} CASCADE`);
    postgres = true;
  } catch (error) {
    log(`[bench] Postgres at ${PG_URL} unavailable, skipping its contender: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  return {
    redis,
    admin,
    memcached,
    postgres,
    env: {
      BENCH_REDIS_URL: redis.url,
      BENCH_DATABASE_URL: PG_URL,
      BENCH_PG_SCHEMA: PG_SCHEMA,
      BENCH_MEMCACHED_SERVERS: memcached?.server ?? '',
      ...(profileDir ? { BENCH_CPU_PROF: profileDir } : {}),
    },
  };
}

/** A fresh, empty schema for the Postgres contender (its server migrates it at start). */
async function resetPostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${PG_SCHEMA} CASCADE`);
    await client.query(`CREATE SCHEMA ${PG_SCHEMA}`);
  } finally {
    await client.end();
  }
}

async function measure(
  s: Services,
  loader: Loader,
  srv: ServerProcess,
  c: Contender,
  scenario: Scenario,
  cookies: readonly string[],
  durationSec: number,
  warmupSec = config.warmupSec,
): Promise<Sample> {
  const route = ROUTES[scenario];
  const job = {
    url: srv.url,
    method: route.method,
    path: route.path,
    cookies: route.cookie ? cookies : null,
    connections: config.connections,
    userAgent: USER_AGENT,
  };
  await loader.run({ ...job, durationSec: warmupSec });
  await sleep(30);
  const s0 = await srv.stats();
  const r0 = c.store === 'redis' ? await commandStats(s.admin) : null;
  const res = await loader.run({ ...job, durationSec });
  await sleep(50);
  const s1 = await srv.stats();
  const r1 = r0 ? await commandStats(s.admin) : null;
  const requests = Math.max(1, s1.requests - s0.requests);
  const executed = r0 && r1 ? diffStats(r0, r1) : null;
  const perReq = executed
    ? Object.fromEntries(
        Object.entries(executed).map(([k, v]) => [k, Math.round((v / requests) * 100) / 100]),
      )
    : null;
  return {
    reqPerSec: res.reqPerSec,
    p50Ms: res.p50Ms,
    p99Ms: res.p99Ms,
    cpuUsPerReq: (s1.cpuUs - s0.cpuUs) / requests,
    storeCmdsPerReq:
      c.store === 'postgres' || c.store === 'memcached' ? (s1.storeCalls - s0.storeCalls) / requests : null,
    redisExecutedPerReq: executed ? total(executed) / requests : null,
    redisCommands: perReq,
    failures: res.non2xx + res.errors,
  };
}

function applicable(c: Contender, s: Services): string | null {
  if (c.store === 'memcached' && !s.memcached) return 'no memcached binary';
  if (c.store === 'postgres' && !s.postgres) return 'no Postgres';
  return null;
}

/** The servers load Tessera from `dist`: build it first (turbo's cache makes a rerun instant). */
function buildPackages(): void {
  log('[bench] building the Tessera packages (the servers run their dist, as users do)');
  execFileSync(
    'pnpm',
    ['exec', 'turbo', 'run', 'build', '--filter=@tessera/bench^...', '--output-logs=errors-only'],
    {
      cwd: APP_DIR,
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 300_000,
    },
  );
}

async function main(): Promise<void> {
  const started = Date.now();
  const only = value('only')?.split(',');
  let contenders = CONTENDERS.filter((c) => !only || only.includes(c.name));
  if (only) {
    const frameworks = new Set(contenders.map((c) => c.framework));
    contenders = CONTENDERS.filter(
      (c) => contenders.includes(c) || (c.library === 'bare' && frameworks.has(c.framework)),
    );
  }
  log(
    `[bench] ${contenders.length} contenders × ${SCENARIOS.length} scenarios × ${config.passes} pass(es), ${config.durationSec}s each, ${config.connections} connections${canPin ? '' : ' (no taskset: unpinned)'}`,
  );
  if (!fromSource && !flag('no-build')) buildPackages();
  const services = await startServices();
  const loader = await Loader.start(1);
  // Ctrl-C or a kill: the throwaway services are children of this process; stop them too.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`[bench] ${signal}: stopping`);
      loader.stop();
      void Promise.all([services.redis.stop(), services.memcached?.stop()]).finally(() => process.exit(130));
    });
  }
  const results = new Map<string, { c: Contender; scenario: Scenario; samples: Sample[] }>();
  const clientCmds = new Map<string, number>();
  const skipped: string[] = [];
  const extras: Record<string, unknown> = {};
  // Every server starts (a few at a time) and gets its session pool before any measurement,
  // so starting one never steals CPU from another's measured phase. Idle servers cost nothing.
  const servers = new Map<string, { srv: ServerProcess; cookies: string[] }>();
  try {
    const runnable = contenders.filter((c) => {
      const why = applicable(c, services);
      if (why) skipped.push(`${c.name} (${why})`);
      return !why;
    });
    if (services.postgres) await resetPostgres();
    for (let i = 0; i < runnable.length; i += 3) {
      const batch = runnable.slice(i, i + 3);
      const procs = await Promise.all(batch.map((c) => ServerProcess.start(c.name, services.env, 0)));
      for (const [j, c] of batch.entries()) servers.set(c.name, { srv: procs[j]!, cookies: [] });
    }
    for (const entry of servers.values()) entry.cookies = await createPool(entry.srv.url, config.poolSize);
    log(
      `[bench] ${servers.size} servers up, ${config.poolSize} sessions each, in ${Math.round((Date.now() - started) / 1000)} s`,
    );
    for (let pass = 0; pass < config.passes; pass++) {
      const chosen = value('scenarios')?.split(',') ?? SCENARIOS;
      const scenarios = SCENARIOS.filter((x) => chosen.includes(x));
      const warmupSec = pass === 0 ? config.warmupSec : 0.2;
      // Contenders that are compared (one framework: bare, peers, Tessera) are measured back
      // to back, scenario by scenario, so a noisy neighbour shifts them together. Orders flip
      // on every other pass.
      const groups = FRAMEWORKS.map((f) => runnable.filter((c) => c.framework === f)).filter((g) => g.length);
      if (pass % 2) {
        groups.reverse();
        scenarios.reverse();
      }
      for (const group of groups)
        for (const scenario of scenarios)
          for (const c of pass % 2 ? [...group].reverse() : group) {
            const { srv, cookies } = servers.get(c.name)!;
            {
              const sample = await measure(
                services,
                loader,
                srv,
                c,
                scenario,
                cookies,
                config.durationSec,
                warmupSec,
              );
              const key = `${c.name}|${scenario}`;
              if (!results.has(key)) results.set(key, { c, scenario, samples: [] });
              // Commands the clients sent (script internals excluded), counted once with MONITOR.
              let sent = sample.storeCmdsPerReq;
              if (c.store === 'redis') {
                if (!clientCmds.has(key)) {
                  const n = config.calibrationRequests;
                  const count = await clientCommandsDuring(services.redis.port, () =>
                    sequential(srv.url, scenario, cookies, n),
                  );
                  clientCmds.set(key, count / n);
                }
                sent = clientCmds.get(key)!;
              }
              results.get(key)!.samples.push({ ...sample, storeCmdsPerReq: sent });
              log(
                `  pass ${pass + 1} ${c.name.padEnd(32)} ${scenario.padEnd(6)} ${Math.round(sample.reqPerSec)
                  .toString()
                  .padStart(6)} req/s  cpu ${sample.cpuUsPerReq.toFixed(0).padStart(4)} µs/req  cmds ${
                  sent === null ? '-' : sent.toFixed(2)
                }${sample.failures ? `  FAILURES ${sample.failures}` : ''}`,
              );
            }
          }
    }
    if (!value('scenarios') || value('scenarios')!.split(',').includes('read'))
      extras.paired = await pairedRatios(servers, services, loader);
    await Promise.all([...servers.values()].map(({ srv }) => srv.stop()));
    servers.clear();
    if (config.scale) extras.scale = await scaleCheck(services, loader);
  } finally {
    await Promise.all([...servers.values()].map(({ srv }) => srv.stop()));
    loader.stop();
    services.admin.disconnect();
    await services.redis.stop();
    await services.memcached?.stop();
  }

  const order = new Map(CONTENDERS.map((c, i) => [c.name, i]));
  const rows: Row[] = toRows(results).sort(
    (a, b) =>
      SCENARIOS.indexOf(a.scenario) - SCENARIOS.indexOf(b.scenario) ||
      a.framework.localeCompare(b.framework) ||
      order.get(a.name)! - order.get(b.name)!,
  );
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
  const caption = `${machine}; ${config.passes} pass(es), median; ${new Date().toISOString().slice(0, 16)}Z`;
  const dir = join(APP_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const file = quick ? 'quick.json' : 'latest.json';
  writeFileSync(join(dir, file), `${JSON.stringify(rows, null, 2)}\n`);
  const paired = (extras.paired ?? []) as Paired[];
  const meta = {
    machine,
    config: { ...config, tessera: fromSource ? 'src (tsx)' : 'dist' },
    skipped,
    targets: targets(rows, paired),
    ...extras,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  writeFileSync(
    join(dir, quick ? 'quick-meta.json' : 'latest-meta.json'),
    `${JSON.stringify(meta, null, 2)}\n`,
  );
  writeFileSync(
    join(dir, quick ? 'read-only-quick.svg' : 'read-only.svg'),
    readOnlySvg(rows, CONTENDERS, caption),
  );
  if (paired.length > 0)
    writeFileSync(join(dir, quick ? 'paired-quick.svg' : 'paired.svg'), pairedSvg(paired, caption));
  console.log(`\n## Results (${caption})\n`);
  console.log(markdownTable(rows));
  console.log('\n## Targets\n');
  for (const t of meta.targets) console.log(`- ${t}`);
  if (extras.scale)
    console.log(`\n## Scale and memory\n\n\`\`\`json\n${JSON.stringify(extras.scale, null, 2)}\n\`\`\``);
  if (skipped.length) console.log(`\nSkipped: ${skipped.join(', ')}`);
  console.log(`\nWrote results/${file} in ${meta.seconds} s.`);
}

/** The throughput targets: Tessera on each framework against the peer it is compared with. */
const TARGET_PAIRS = [
  { tessera: 'tessera-express+redis', peer: 'express-session+connect-redis', want: 1.5 },
  { tessera: 'tessera-hono+redis', peer: 'hono-sessions+redis', want: 2 },
  { tessera: 'tessera-koa+redis', peer: 'koa-session+koa-redis', want: 1.2 },
] as const;

interface Paired {
  readonly tessera: string;
  readonly peer: string;
  readonly want: number;
  readonly slices: number;
  readonly sliceSec: number;
  /** Median over the slice pairs of Tessera's req/s over the peer's. */
  readonly reqPerSecRatio: number;
  /** Median over the slice pairs of the peer's server CPU per request over Tessera's. */
  readonly cpuRatio: number;
  readonly tesseraCpuUsPerReq: number;
  readonly peerCpuUsPerReq: number;
}

/**
 * The target ratios, measured as pairs: short read-only slices of Tessera and its peer back
 * to back, in ABBA order, several times; each pair gives one ratio and the median is
 * reported. Two servers measured seconds apart see the same machine, so on a shared box
 * whose speed drifts by tens of percent this is far steadier than a ratio of two medians.
 */
async function pairedRatios(
  servers: ReadonlyMap<string, { srv: ServerProcess; cookies: string[] }>,
  services: Services,
  loader: Loader,
): Promise<Paired[]> {
  const slices = quick ? 2 : 6;
  const sliceSec = quick ? 0.4 : 0.8;
  const out: Paired[] = [];
  for (const pair of TARGET_PAIRS) {
    const t = servers.get(pair.tessera);
    const p = servers.get(pair.peer);
    if (!t || !p) continue;
    const run = (name: string, entry: { srv: ServerProcess; cookies: string[] }) =>
      measure(services, loader, entry.srv, contenderNamed(name), 'read', entry.cookies, sliceSec, 0.2);
    const rps: number[] = [];
    const cpu: number[] = [];
    const tCpu: number[] = [];
    const pCpu: number[] = [];
    for (let i = 0; i < slices; i++) {
      // ABBA...: Tessera first on even slices, the peer first on odd ones.
      let tessera: Sample;
      let peer: Sample;
      if (i % 2 === 0) {
        tessera = await run(pair.tessera, t);
        peer = await run(pair.peer, p);
      } else {
        peer = await run(pair.peer, p);
        tessera = await run(pair.tessera, t);
      }
      rps.push(tessera.reqPerSec / peer.reqPerSec);
      cpu.push(peer.cpuUsPerReq / tessera.cpuUsPerReq);
      tCpu.push(tessera.cpuUsPerReq);
      pCpu.push(peer.cpuUsPerReq);
    }
    const result: Paired = {
      ...pair,
      slices,
      sliceSec,
      reqPerSecRatio: round2(median(rps)),
      cpuRatio: round2(median(cpu)),
      tesseraCpuUsPerReq: Math.round(median(tCpu)),
      peerCpuUsPerReq: Math.round(median(pCpu)),
    };
    log(
      `  paired ${pair.tessera} / ${pair.peer}: ${result.reqPerSecRatio}× req/s, ${result.cpuRatio}× less CPU per request (${slices} slice pairs)`,
    );
    out.push(result);
  }
  return out;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function targets(rows: readonly Row[], paired: readonly Paired[]): string[] {
  const read = (name: string) => rows.find((r) => r.name === name && r.scenario === 'read');
  const out: string[] = [];
  for (const { tessera: t, peer: p, want } of TARGET_PAIRS) {
    const pair = paired.find((x) => x.tessera === t);
    if (pair) {
      const x = pair.reqPerSecRatio;
      out.push(
        `read-only ${t} / ${p}: ${x.toFixed(2)}× req/s, ${pair.cpuRatio.toFixed(2)}× less CPU per request ` +
          `(${pair.tesseraCpuUsPerReq} vs ${pair.peerCpuUsPerReq} µs; median of ${pair.slices} paired slices) ` +
          `(target ≥ ${want}×) ${x >= want ? 'met' : 'NOT met'}`,
      );
      continue;
    }
    const a = read(t);
    const b = read(p);
    if (!a || !b) continue;
    const x = a.reqPerSec / b.reqPerSec;
    out.push(`read-only ${t} / ${p}: ${x.toFixed(2)}× (target ≥ ${want}×) ${x >= want ? 'met' : 'NOT met'}`);
  }
  for (const r of rows.filter((x) => x.library === 'tessera' && x.store === 'redis')) {
    const want = r.scenario === 'read' ? 1 : r.scenario === 'write' ? 2 : r.scenario === 'none' ? 0 : null;
    if (want === null) continue;
    out.push(
      `${r.name} ${r.scenario}: ${r.storeCmdsPerReq?.toFixed(2)} Redis commands/request (target ${want.toFixed(2)}) ${
        r.storeCmdsPerReq === want ? 'met' : 'NOT met'
      }`,
    );
  }
  for (const r of rows.filter((x) => x.library === 'tessera' && x.scenario === 'read')) {
    const bare = rows.find(
      (b) => b.library === 'bare' && b.framework === r.framework && b.scenario === 'read',
    );
    if (bare)
      out.push(
        `${r.name} read: +${r.serverCpuUsPerReq - bare.serverCpuUsPerReq} µs server CPU per request over bare ${r.framework}`,
      );
  }
  return out;
}

/** 1,000 sessions vs 1,000,000 more, on Tessera + Hono + Redis; and memory per session. */
async function scaleCheck(s: Services, loader: Loader): Promise<Record<string, unknown>> {
  const admin = s.admin;
  const tessera = CONTENDERS.find((c) => c.name === 'tessera-hono+redis')!;
  const peer = CONTENDERS.find((c) => c.name === 'express-session+connect-redis')!;
  const out: Record<string, unknown> = {};

  // Memory per small authenticated session (userId + one number), connect-redis first.
  await s.admin.flushall();
  let srv = await ServerProcess.start(peer.name, s.env, 0);
  try {
    await createPool(srv.url, 200);
    const keys = await sampleKeys(admin, 'sess:*', 200);
    out.connectRedisBytesPerSession = await averageMemoryUsage(admin, keys);
  } finally {
    await srv.stop();
  }

  await s.admin.flushall();
  srv = await ServerProcess.start(tessera.name, s.env, 0);
  try {
    let cookies = await createPool(srv.url, 1000);
    const sessionKeys = await sampleKeys(admin, 'tessera:*s:*', 200);
    const indexKeys = await sampleKeys(admin, 'tessera:*u:user-*', 200);
    const session = await averageMemoryUsage(admin, sessionKeys);
    const index = await averageMemoryUsage(admin, indexKeys);
    out.tesseraBytesPerSession = {
      sessionHash: session,
      userIndex: index,
      total: (session ?? 0) + (index ?? 0),
    };

    const phase = async (label: string) => {
      const m = await scalePhase(s, loader, srv, tessera, cookies, () => admin.dbsize(), `redis ${label}`);
      return {
        keys: m.size,
        reqPerSec: m.reqPerSec,
        p50Ms: m.p50Ms,
        p99Ms: m.p99Ms,
        serverCpuUsPerReq: m.serverCpuUsPerReq,
        redisExecutedPerReq: m.redisExecutedPerReq,
      };
    };
    const small = await phase('1k');
    const loaded = await bulkLoad(admin, sessionKeys[0]!, indexKeys[0]!, config.scaleSessions, log);
    const large = await phase(`${config.scaleSessions}`);
    const memoryAfterBulk = await usedMemory(admin);
    // Back to 1k (A-B-A), so drift over the run shows up instead of passing for a scale effect.
    await admin.flushall();
    cookies = await createPool(srv.url, 1000);
    const smallAgain = await phase('1k again');
    out.read = { sessions1k: small, sessions1M: large, sessions1kAgain: smallAgain };
    out.bulkLoad = {
      sessions: config.scaleSessions,
      ms: loaded.ms,
      usedMemoryBytesPerSession: loaded.bytesPerSession,
      usedMemoryAfter: memoryAfterBulk,
    };
  } finally {
    await srv.stop();
  }
  if (s.postgres) out.postgres = await postgresScale(s, loader);
  return out;
}

/** Read-only phases on one server (3 by default); medians, with the store's size measured alongside. */
async function scalePhase(
  s: Services,
  loader: Loader,
  srv: ServerProcess,
  c: Contender,
  cookies: readonly string[],
  size: () => Promise<number>,
  label: string,
  passes = 3,
) {
  const samples: Sample[] = [];
  for (let i = 0; i < passes; i++)
    samples.push(await measure(s, loader, srv, c, 'read', cookies, config.durationSec));
  const n = await size();
  const reqPerSec = Math.round(median(samples.map((x) => x.reqPerSec)));
  log(`  scale ${label}: ${n} rows/keys, ${reqPerSec} req/s`);
  return {
    size: n,
    reqPerSec,
    p50Ms: median(samples.map((x) => x.p50Ms)),
    p99Ms: median(samples.map((x) => x.p99Ms)),
    serverCpuUsPerReq: Math.round(median(samples.map((x) => x.cpuUsPerReq))),
    redisExecutedPerReq: median(samples.map((x) => x.redisExecutedPerReq ?? 0)),
    statementsPerReq: median(samples.map((x) => x.storeCmdsPerReq ?? 0)),
  };
}

/** The read with ~1,000 rows, with 1,000,000 more, and with ~1,000 again (A-B-A), on Postgres. */
async function postgresScale(s: Services, loader: Loader): Promise<Record<string, unknown>> {
  const c = contenderNamed('tessera-hono+postgres');
  const table = `${PG_SCHEMA}.tessera_sessions`;
  await resetPostgres();
  const srv = await ServerProcess.start(c.name, s.env, 0);
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const cookies = await createPool(srv.url, 1000);
    const rows = () => rowCount(client, table);
    // Two phases per size, not three: the full run must stay under 10 minutes.
    const small = await scalePhase(s, loader, srv, c, cookies, rows, 'postgres 1k', 2);
    const loaded = await bulkInsertRows(client, table, config.scaleSessions, log);
    const large = await scalePhase(s, loader, srv, c, cookies, rows, `postgres +${config.scaleSessions}`, 2);
    await deleteBulkRows(client, table);
    const smallAgain = await scalePhase(s, loader, srv, c, cookies, rows, 'postgres 1k again', 2);
    return { rows1k: small, rows1M: large, rows1kAgain: smallAgain, bulkInsertMs: loaded.ms };
  } finally {
    await client.end();
    await srv.stop();
  }
}

await main();
