/**
 * `pnpm --filter @tessera/bench pretenuring [--only=a,b] [--runs=N] [--logins=N] [--seconds=S]`:
 * how many allocation sites V8 decides to pretenure (allocate straight into the old generation)
 * in each phase a bench server goes through: signing in the pool (1,000 users, 24 at a time),
 * then S seconds (default 3) of the read, hot and write (`count++`) load, as `pnpm bench` runs them.
 *
 * Why it matters: V8 makes that decision from what survives a scavenge during a burst and keeps
 * it for the life of the process. A server whose request path makes its per-request objects look
 * long-lived pays for it on every later request (garbage in the old generation keeps young
 * objects alive through scavenges): the Koa adapter once paid 20–40 µs per read that way. The
 * count is read from `--trace-pretenuring` (V8's own trace; its format is V8's, not a stable
 * API) and printed next to the bare framework's, which is the floor: Node and the framework
 * tenure a few sites of their own.
 */
import { config, log, value } from './cli.js';
import { CONTENDERS, type Contender, cookiesFor, ROUTES } from './contenders.js';
import { createPool, USER_AGENT } from './http.js';
import { Loader, ServerProcess } from './procs.js';
import { applicable, resetPostgres, startServices } from './services.js';

const POOL = Number(value('logins') ?? 1000);
/** Seconds of load per scenario after the sign-in. */
const SECONDS = Number(value('seconds') ?? 3);
/** What the server goes through, in the bench's order: its sign-in, then each scenario's load. */
const PHASES = ['sign-in', 'read', 'hot', 'write'] as const;
type Phase = (typeof PHASES)[number];
/** A site's decision moving to "tenure" (V8 prints one line per site and scavenge). */
const TENURED = /pretenuring: AllocationSite\(\w+\).* (undecided|maybe tenure) => tenure$/;

/** Sites tenured during each phase: the sign-in of the pool, then the load of each scenario. */
async function sitesTenured(c: Contender, env: Record<string, string>, loader: Loader): Promise<number[]> {
  const counts = PHASES.map(() => 0);
  let phase = 0;
  const srv = await ServerProcess.start(c.name, env, 0, {
    v8Flags: ['--trace-pretenuring', '--trace-pretenuring-statistics'],
    onLine: (line) => {
      if (TENURED.test(line)) counts[phase]!++;
    },
  });
  // The last scavenge of a burst may run just after its last response.
  const settle = () => new Promise((r) => setTimeout(r, 200));
  try {
    const cookies = await createPool(srv.url, POOL);
    await settle();
    for (const scenario of PHASES.slice(1) as Exclude<Phase, 'sign-in'>[]) {
      phase++;
      const route = ROUTES[scenario];
      await loader.run({
        url: srv.url,
        method: route.method,
        path: route.path,
        cookies: cookiesFor(route, cookies),
        connections: config.connections,
        durationSec: SECONDS,
        userAgent: USER_AGENT,
      });
      await settle();
    }
    return counts;
  } finally {
    await srv.stop();
  }
}

async function main(): Promise<void> {
  const only = value('only')?.split(',');
  const runs = Number(value('runs') ?? 2);
  const picked = CONTENDERS.filter((c) => !only || only.includes(c.name));
  const frameworks = new Set(picked.map((c) => c.framework));
  const contenders = CONTENDERS.filter(
    (c) => picked.includes(c) || (c.library === 'bare' && frameworks.has(c.framework)),
  );
  const services = await startServices();
  const loader = await Loader.start(1);
  const counts = new Map<string, number[][]>();
  try {
    for (const c of contenders) {
      const why = applicable(c, services);
      if (why) {
        log(`[pretenuring] ${c.name}: skipped (${why})`);
        continue;
      }
      const n: number[][] = [];
      for (let i = 0; i < runs; i++) {
        if (c.store === 'postgres') await resetPostgres();
        await services.admin.flushall();
        n.push(await sitesTenured(c, services.env, loader));
      }
      counts.set(c.name, n);
      log(`[pretenuring] ${c.name}: ${n.map((r) => r.join('/')).join(', ')}`);
    }
  } finally {
    loader.stop();
    await services.admin.quit().catch(() => undefined);
    await Promise.all([services.redis.stop(), services.memcached?.stop()]);
  }
  const cell = (n: number[][] | undefined, i: number) => n?.map((r) => r[i]).join(', ') ?? '–';
  console.log(
    `\n## Allocation sites V8 tenured: signing in ${POOL} users (24 at a time), then ${SECONDS} s of each scenario\n`,
  );
  console.log(`| contender | ${PHASES.join(' | ')} | bare framework (${PHASES.join(' / ')}) |`);
  console.log(`|---|${PHASES.map(() => '--:|').join('')}--:|`);
  for (const c of contenders) {
    const n = counts.get(c.name);
    if (!n) continue;
    const bare = CONTENDERS.find((b) => b.library === 'bare' && b.framework === c.framework);
    const floor = bare && bare !== c ? counts.get(bare.name) : undefined;
    const floorCell = floor ? PHASES.map((_, i) => cell(floor, i)).join(' / ') : '–';
    console.log(`| ${c.name} | ${PHASES.map((_, i) => cell(n, i)).join(' | ')} | ${floorCell} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
