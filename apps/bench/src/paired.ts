// The target ratios measured as pairs: Tessera and its peer in short slices, back to back.
import { log, quick } from './cli.js';
import { contenderNamed } from './contenders.js';
import { measure } from './measure.js';
import type { Loader, ServerProcess } from './procs.js';
import { median, type Sample } from './report.js';
import type { Services } from './services.js';

/**
 * The throughput targets: Tessera on each framework against the peer it is compared with.
 * Read-only on the Redis store as it ships (near cache off) and with its near cache on; the
 * changing request (`count++`, scenario `write`) as it ships.
 */
export const TARGET_PAIRS = [
  { scenario: 'read', tessera: 'tessera-express+redis', peer: 'express-session+connect-redis', want: 1.5 },
  { scenario: 'read', tessera: 'tessera-hono+redis', peer: 'hono-sessions+redis', want: 1.5 },
  { scenario: 'read', tessera: 'tessera-koa+redis', peer: 'koa-session+koa-redis', want: 1.2 },
  { scenario: 'read', tessera: 'tessera-fastify+redis', peer: '@fastify/session+connect-redis', want: 1.5 },
  { scenario: 'read', tessera: 'tessera-express+redis+near', peer: 'express-session+connect-redis', want: 2 },
  { scenario: 'read', tessera: 'tessera-hono+redis+near', peer: 'hono-sessions+redis', want: 2 },
  { scenario: 'read', tessera: 'tessera-koa+redis+near', peer: 'koa-session+koa-redis', want: 1.5 },
  { scenario: 'write', tessera: 'tessera-express+redis', peer: 'express-session+connect-redis', want: 1.3 },
  { scenario: 'write', tessera: 'tessera-hono+redis', peer: 'hono-sessions+redis', want: 1.3 },
  { scenario: 'write', tessera: 'tessera-koa+redis', peer: 'koa-session+koa-redis', want: 1.3 },
  { scenario: 'write', tessera: 'tessera-fastify+redis', peer: '@fastify/session+connect-redis', want: 1.3 },
] as const;

export interface Paired {
  /** `read` (read-only) or `write` (`count++`). */
  readonly scenario: 'read' | 'write';
  readonly tessera: string;
  readonly peer: string;
  readonly want: number;
  readonly slices: number;
  readonly sliceSec: number;
  /** Median over the slice pairs of Tessera's req/s over the peer's. */
  readonly reqPerSecRatio: number;
  /** Median over the slice pairs of the peer's server CPU per request over Tessera's. */
  readonly cpuRatio: number;
  /** The same for user CPU alone (kernel time, mostly socket calls, left out; see the README). */
  readonly userCpuRatio: number;
  readonly tesseraCpuUsPerReq: number;
  readonly peerCpuUsPerReq: number;
}

/**
 * The target ratios, measured as pairs: short slices of Tessera and its peer back to back, in ABBA order, several times; each pair gives one ratio and the median is
 * reported. Two servers measured seconds apart see the same machine, so on a shared box
 * whose speed drifts by tens of percent this is far steadier than a ratio of two medians.
 */
export async function pairedRatios(
  servers: ReadonlyMap<string, { srv: ServerProcess; cookies: string[] }>,
  services: Services,
  loader: Loader,
  /** The run's `--scenarios`: only pairs of those run (all when absent). */
  scenarios: readonly string[] | undefined,
): Promise<Paired[]> {
  const slices = quick ? 2 : 6;
  const sliceSec = quick ? 0.4 : 1.5;
  const out: Paired[] = [];
  for (const pair of TARGET_PAIRS) {
    if (scenarios && !scenarios.includes(pair.scenario)) continue;
    const t = servers.get(pair.tessera);
    const p = servers.get(pair.peer);
    if (!t || !p) continue;
    const run = (name: string, entry: { srv: ServerProcess; cookies: string[] }) =>
      measure(services, loader, entry.srv, contenderNamed(name), pair.scenario, entry.cookies, sliceSec, 0.5);
    const rps: number[] = [];
    const cpu: number[] = [];
    const user: number[] = [];
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
      user.push(peer.userUsPerReq / tessera.userUsPerReq);
      tCpu.push(tessera.cpuUsPerReq);
      pCpu.push(peer.cpuUsPerReq);
    }
    const result: Paired = {
      ...pair,
      slices,
      sliceSec,
      reqPerSecRatio: round2(median(rps)),
      cpuRatio: round2(median(cpu)),
      userCpuRatio: round2(median(user)),
      tesseraCpuUsPerReq: Math.round(median(tCpu)),
      peerCpuUsPerReq: Math.round(median(pCpu)),
    };
    log(
      `  paired ${pair.scenario} ${pair.tessera} / ${pair.peer}: ${result.reqPerSecRatio}× req/s, ${result.cpuRatio}× less CPU per request (user CPU ${result.userCpuRatio}×) (${slices} slice pairs)`,
    );
    out.push(result);
  }
  return out;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
