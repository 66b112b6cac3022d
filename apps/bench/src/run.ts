/**
 * `pnpm bench`: every contender in its own server process (pinned to CPU 0), autocannon in
 * another (pinned to CPU 1), a throwaway redis-server / memcached / Postgres schema for the
 * run. Every phase: 3 s warm-up, 10 s measured; two passes, the second in the opposite order
 * (ABBA); the median and the spread (max − min over the median) reported. Flags:
 *   --quick            a smoke test: 1 pass, 0.4 s phases, no scale check, no ratios or
 *                      targets printed as findings (< 2 min)
 *   --scale / --no-scale   force the 1,000 vs 1,000,000 sessions check on or off
 *   --no-memory        skip the bytes-per-session measurement (MEMORY USAGE)
 *   --only=a,b         only these contenders (bare baselines are added for the ratios)
 *   --passes=N --duration=S --warmup=S --connections=N
 *   --scenarios=read,none   only these scenarios
 *   --profile=DIR      write a V8 CPU profile of every measured phase to DIR
 *   --no-build         use the packages' dist as it is (experiments on built code)
 *
 * This file runs the passes. The flags are read in cli.ts, the services started in
 * services.ts, one phase measured in measure.ts, the target pairs in paired.ts, the scale
 * runs in scale-run.ts, and the report written by results.ts.
 */
import { execFileSync } from 'node:child_process';
import { config, flag, log, quick, value } from './cli.js';
import {
  CONTENDERS,
  type Contender,
  contenderNamed,
  FRAMEWORKS,
  SCENARIOS,
  type Scenario,
} from './contenders.js';
import { assertSignedIn, createPool } from './http.js';
import { measure } from './measure.js';
import { pairedRatios } from './paired.js';
import { APP_DIR, canPin, fromSource, Loader, ServerProcess } from './procs.js';
import { clientCommandsDuring } from './redis-stats.js';
import type { Sample } from './report.js';
import { writeResults } from './results.js';
import { memoryPerSession, scaleCheck } from './scale-run.js';
import { applicable, resetPostgres, startServices } from './services.js';

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
  const clientCmds = new Map<
    string,
    { perReq: number; touchesPerReq: number | null; names: Set<string>; sentShare: Record<string, number> }
  >();
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
    // Every server's pool is still signed in once all pools exist (servers share one Redis).
    for (const [name, entry] of servers)
      if (contenderNamed(name).library !== 'bare') await assertSignedIn(name, entry.srv.url, entry.cookies);
    log(
      `[bench] ${servers.size} servers up, ${config.poolSize} sessions each, in ${Math.round((Date.now() - started) / 1000)} s`,
    );
    for (let pass = 0; pass < config.passes; pass++) {
      const chosen = value('scenarios')?.split(',') ?? SCENARIOS;
      const scenarios = SCENARIOS.filter((x) => chosen.includes(x));
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
              const key = `${c.name}|${scenario}`;
              // The commands clients send per request, which, and what share of each one's
              // calls: MONITOR over 2 s of the same load right after the first measured phase
              // (the steady state: a near cache's hit rate under load, touches as rare as they
              // are then), divided by the requests the server counted meanwhile.
              const calibrate =
                c.store === 'redis' && !clientCmds.has(key)
                  ? async (load: (durationSec: number) => Promise<unknown>) => {
                      const before = (await srv.stats()).requests;
                      const { count, names, sent, sentShare } = await clientCommandsDuring(
                        services.redis.port,
                        () => load(2),
                      );
                      const requests = Math.max(1, (await srv.stats()).requests - before);
                      // On a read a script is a touch (due once per session per touchIntervalMs):
                      // counted apart, as the pool's sessions, all signed in at once, come due
                      // together and a 2 s window may hold all of them or none.
                      const touches =
                        scenario === 'read' || scenario === 'hot'
                          ? ((sent.evalsha ?? 0) + (sent.eval ?? 0)) / requests
                          : null;
                      clientCmds.set(key, {
                        perReq: count / requests,
                        touchesPerReq: touches,
                        names,
                        sentShare,
                      });
                    }
                  : undefined;
              const sample = await measure(
                services,
                loader,
                srv,
                c,
                scenario,
                cookies,
                config.durationSec,
                config.warmupSec,
                calibrate,
              );
              if (!results.has(key)) results.set(key, { c, scenario, samples: [] });
              // Commands the clients sent (script internals excluded), counted as above.
              let sent = sample.storeCmdsPerReq;
              let redisUsecPerReq: number | null = null;
              let touchesPerReq: number | null = null;
              if (c.store === 'redis') {
                const calibrated = clientCmds.get(key)!;
                sent = calibrated.perReq;
                touchesPerReq = calibrated.touchesPerReq;
                // Redis time of the commands sent (a script's usec already holds its insides).
                redisUsecPerReq = Object.entries(sample.redisUsecByCommand ?? {})
                  .filter(([name]) => calibrated.names.has(name))
                  .reduce((a, [name, v]) => a + v * (calibrated.sentShare[name] ?? 1), 0);
              }
              results
                .get(key)!
                .samples.push({ ...sample, storeCmdsPerReq: sent, touchesPerReq, redisUsecPerReq });
              log(
                `  pass ${pass + 1} ${c.name.padEnd(32)} ${scenario.padEnd(6)} ${Math.round(sample.reqPerSec)
                  .toString()
                  .padStart(
                    6,
                  )} req/s  cpu ${sample.cpuUsPerReq.toFixed(0).padStart(4)} µs/req (user ${sample.userUsPerReq.toFixed(0)})  cmds ${
                  sent === null ? '-' : sent.toFixed(2)
                }${
                  redisUsecPerReq === null
                    ? ''
                    : `  redis ${redisUsecPerReq.toFixed(1)} µs/req (process ${sample.redisProcessCpuUsPerReq?.toFixed(1)})`
                }${sample.loaderCpuUsPerReq === null ? '' : `  loader ${sample.loaderCpuUsPerReq.toFixed(0)} µs/req`}${sample.failures ? `  FAILURES ${sample.failures}` : ''}`,
              );
            }
          }
    }
    if (!quick) extras.paired = await pairedRatios(servers, services, loader, value('scenarios')?.split(','));
    await Promise.all([...servers.values()].map(({ srv }) => srv.stop()));
    servers.clear();
    if (!quick && !flag('no-memory')) extras.memory = await memoryPerSession(services);
    if (config.scale) extras.scale = await scaleCheck(services, loader);
  } finally {
    await Promise.all([...servers.values()].map(({ srv }) => srv.stop()));
    loader.stop();
    services.admin.disconnect();
    await services.redis.stop();
    await services.memcached?.stop();
  }

  writeResults({ started, results, skipped, extras });
}

await main();
