// One measured phase: a warm-up, then a timed load on one server, with its CPU and store commands per request.
import { config, sleep } from './cli.js';
import { type Contender, cookiesFor, ROUTES, type Scenario } from './contenders.js';
import { USER_AGENT } from './http.js';
import type { Loader, ServerProcess } from './procs.js';
import { commandStats, diffStats, processCpuUs, total } from './redis-stats.js';
import type { Sample } from './report.js';
import type { Services } from './services.js';

export async function measure(
  s: Services,
  loader: Loader,
  srv: ServerProcess,
  c: Contender,
  scenario: Scenario,
  cookies: readonly string[],
  durationSec: number,
  warmupSec = config.warmupSec,
  /**
   * Called after the measured phase (its figures are taken) with a way to run the same load
   * again for a few seconds: the caller counts what that load sends (MONITOR) in the same
   * steady state without slowing the measured phase down.
   */
  afterPhase?: (load: (durationSec: number) => Promise<unknown>) => Promise<unknown>,
): Promise<Sample> {
  const route = ROUTES[scenario];
  const job = {
    url: srv.url,
    method: route.method,
    path: route.path,
    cookies: cookiesFor(route, cookies),
    connections: config.connections,
    userAgent: USER_AGENT,
  };
  await loader.run({ ...job, durationSec: warmupSec });
  await sleep(30);
  const onRedis = c.store === 'redis';
  const s0 = await srv.stats();
  const r0 = onRedis ? await commandStats(s.admin) : null;
  const p0 = onRedis ? processCpuUs(s.redisPid) : null;
  const l0 = loader.pid === undefined ? null : processCpuUs(loader.pid);
  const res = await loader.run({ ...job, durationSec });
  const l1 = loader.pid === undefined ? null : processCpuUs(loader.pid);
  await sleep(50);
  const s1 = await srv.stats();
  const r1 = r0 ? await commandStats(s.admin) : null;
  const p1 = onRedis ? processCpuUs(s.redisPid) : null;
  const requests = Math.max(1, s1.requests - s0.requests);
  await afterPhase?.((sec) => loader.run({ ...job, durationSec: sec }));
  const executed = r0 && r1 ? diffStats(r0.calls, r1.calls) : null;
  const per = (stats: Record<string, number>, digits: number) =>
    Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, round(v / requests, digits)]));
  return {
    reqPerSec: res.reqPerSec,
    p50Ms: res.p50Ms,
    p99Ms: res.p99Ms,
    cpuUsPerReq: (s1.cpuUs - s0.cpuUs) / requests,
    userUsPerReq: (s1.userUs - s0.userUs) / requests,
    storeCmdsPerReq:
      c.store === 'postgres' || c.store === 'memcached' ? (s1.storeCalls - s0.storeCalls) / requests : null,
    redisExecutedPerReq: executed ? total(executed) / requests : null,
    redisCommands: executed ? per(executed, 2) : null,
    redisUsecByCommand: r0 && r1 ? per(diffStats(r0.usec, r1.usec), 3) : null,
    redisUsecPerReq: null,
    redisProcessCpuUsPerReq: p0 !== null && p1 !== null ? (p1 - p0) / requests : null,
    loaderCpuUsPerReq: l0 !== null && l1 !== null ? (l1 - l0) / requests : null,
    failures: res.non2xx + res.errors,
  };
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
