/**
 * `pnpm --filter @tessera/bench pretenuring [--only=a,b] [--runs=N] [--logins=N]`: how many allocation sites
 * V8 decides to pretenure (allocate straight into the old generation) while each server signs
 * in the bench's pool of 1,000 users (`--logins`), 24 at a time, as `pnpm bench` does before measuring.
 *
 * Why it matters: V8 makes that decision once, from what survives a scavenge during such a
 * burst, and keeps it for the life of the process. A server whose login path makes its
 * per-request objects look long-lived pays for it on every later request (garbage in the old
 * generation keeps young objects alive through scavenges): the Koa adapter once paid 20–40 µs
 * per read that way. The count is read from `--trace-pretenuring` (V8's own trace; its format
 * is V8's, not a stable API) and printed next to the bare framework's, which is the floor: Node
 * and the framework tenure a few sites of their own.
 */
import { log, value } from './cli.js';
import { CONTENDERS, type Contender } from './contenders.js';
import { createPool } from './http.js';
import { ServerProcess } from './procs.js';
import { applicable, resetPostgres, startServices } from './services.js';

const POOL = Number(value('logins') ?? 1000);
/** A site's decision moving to "tenure" (V8 prints one line per site and scavenge). */
const TENURED = /pretenuring: AllocationSite\(\w+\).* (undecided|maybe tenure) => tenure$/;

/** Sites tenured while the server signed in its pool. */
async function sitesTenured(c: Contender, env: Record<string, string>): Promise<number> {
  let tenured = 0;
  let counting = true;
  const srv = await ServerProcess.start(c.name, env, 0, {
    v8Flags: ['--trace-pretenuring', '--trace-pretenuring-statistics'],
    onLine: (line) => {
      if (counting && TENURED.test(line)) tenured++;
    },
  });
  try {
    await createPool(srv.url, POOL);
    // The last scavenge of the burst may run just after its last response.
    await new Promise((r) => setTimeout(r, 200));
    counting = false;
    return tenured;
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
  const counts = new Map<string, number[]>();
  try {
    for (const c of contenders) {
      const why = applicable(c, services);
      if (why) {
        log(`[pretenuring] ${c.name}: skipped (${why})`);
        continue;
      }
      const n: number[] = [];
      for (let i = 0; i < runs; i++) {
        if (c.store === 'postgres') await resetPostgres();
        await services.admin.flushall();
        n.push(await sitesTenured(c, services.env));
      }
      counts.set(c.name, n);
      log(`[pretenuring] ${c.name}: ${n.join(', ')}`);
    }
  } finally {
    await services.admin.quit().catch(() => undefined);
    await Promise.all([services.redis.stop(), services.memcached?.stop()]);
  }
  console.log(`\n## Allocation sites V8 tenured while the server signed in ${POOL} users (24 at a time)\n`);
  console.log('| contender | sites tenured (each run) | bare framework |');
  console.log('|---|--:|--:|');
  for (const c of contenders) {
    const n = counts.get(c.name);
    if (!n) continue;
    const bare = CONTENDERS.find((b) => b.library === 'bare' && b.framework === c.framework);
    const floor = bare && bare !== c ? counts.get(bare.name)?.join(', ') : undefined;
    console.log(`| ${c.name} | ${n.join(', ')} | ${floor ?? '–'} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
