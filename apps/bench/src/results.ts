// A run's report: rows in order, targets judged, results/*.json and the charts written, the summary printed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { config, quick } from './cli.js';
import { CONTENDERS, type Contender, SCENARIOS, type Scenario } from './contenders.js';
import { type Paired, TARGET_PAIRS } from './paired.js';
import { APP_DIR, fromSource } from './procs.js';
import { markdownTable, pairedSvg, type Row, readOnlySvg, type Sample, toRows } from './report.js';

/** What the passes and the extra checks of a run gathered. */
export interface RunOutcome {
  /** When the run began (Date.now()). */
  readonly started: number;
  readonly results: ReadonlyMap<string, { c: Contender; scenario: Scenario; samples: Sample[] }>;
  /** Contenders left out, each with why. */
  readonly skipped: readonly string[];
  /** `paired` (see paired.ts) and `scale` (see scale-run.ts), when they ran. */
  readonly extras: Record<string, unknown>;
}

export function writeResults({ started, results, skipped, extras }: RunOutcome): void {
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
  out.push(...redisClients(rows));
  return out;
}

/** Tessera on Hono + Redis on each client, side by side: server CPU per request, per scenario. */
function redisClients(rows: readonly Row[]): string[] {
  const out: string[] = [];
  for (const scenario of ['read', 'write', 'login'] as const) {
    const io = rows.find((r) => r.name === 'tessera-hono+redis' && r.scenario === scenario);
    const nr = rows.find((r) => r.name === 'tessera-hono+node-redis' && r.scenario === scenario);
    if (!io || !nr) continue;
    out.push(
      `Redis client, Hono ${scenario}: ioredis ${io.serverCpuUsPerReq} µs, node-redis ${nr.serverCpuUsPerReq} µs ` +
        `server CPU per request (${io.storeCmdsPerReq?.toFixed(2)} vs ${nr.storeCmdsPerReq?.toFixed(2)} commands/request)`,
    );
  }
  return out;
}
