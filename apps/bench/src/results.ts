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

/** What `memoryPerSession` (scale-run.ts) measured. */
interface MemoryFigures {
  readonly connectRedisBytesPerSession?: number | null;
  readonly tesseraBytesPerSession?: { sessionHash: number | null; userIndex: number | null; total: number };
}

export function writeResults({ started, results, skipped, extras }: RunOutcome): void {
  const order = new Map(CONTENDERS.map((c, i) => [c.name, i]));
  const sorted: Row[] = toRows(results).sort(
    (a, b) =>
      SCENARIOS.indexOf(a.scenario) - SCENARIOS.indexOf(b.scenario) ||
      a.framework.localeCompare(b.framework) ||
      order.get(a.name)! - order.get(b.name)!,
  );
  // No ratio from a quick run's 0.4 s phases is printed as a finding.
  const rows = quick ? sorted.map((r) => ({ ...r, ratioToBare: null })) : sorted;
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
  const caption = `${machine}; ${config.passes} pass(es), median; ${new Date().toISOString().slice(0, 16)}Z`;
  const dir = join(APP_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  // Only a full-length run replaces the published figures (latest.*, history): a run with
  // shorter phases or one pass (an experiment) writes experiment.*, a quick run quick.*.
  const fullLength = config.passes >= 2 && config.durationSec >= 10 && config.warmupSec >= 3;
  const kind = quick ? 'quick' : fullLength ? 'latest' : 'experiment';
  const suffix = kind === 'latest' ? '' : `-${kind}`;
  const file = `${kind}.json`;
  writeFileSync(join(dir, file), `${JSON.stringify(rows, null, 2)}\n`);
  const paired = (extras.paired ?? []) as Paired[];
  // A quick run is a smoke test: its phases are too short for any ratio to be a finding.
  const meta = {
    machine,
    config: { ...config, tessera: fromSource ? 'src (tsx)' : 'dist' },
    skipped,
    targets: quick ? [] : targets(rows, paired, extras.memory as MemoryFigures | undefined),
    ...extras,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  writeFileSync(join(dir, `${kind}-meta.json`), `${JSON.stringify(meta, null, 2)}\n`);
  // Every full run is kept, so a regression shows against the runs before it.
  if (kind === 'latest') {
    mkdirSync(join(dir, 'history'), { recursive: true });
    const stamp = new Date(started).toISOString().slice(0, 19).replace(/:/g, '-');
    writeFileSync(join(dir, 'history', `${stamp}Z.json`), `${JSON.stringify({ meta, rows }, null, 2)}\n`);
  }
  writeFileSync(join(dir, `read-only${suffix}.svg`), readOnlySvg(rows, CONTENDERS, caption));
  const reads = paired.filter((x) => x.scenario === 'read');
  if (reads.length > 0) writeFileSync(join(dir, `paired${suffix}.svg`), pairedSvg(reads, caption));
  console.log(`\n## Results (${caption})\n`);
  console.log(markdownTable(rows));
  console.log('\n## Targets\n');
  if (quick) console.log('(--quick is a smoke test: 0.4 s phases, one pass; run the full bench for figures)');
  for (const t of meta.targets) console.log(`- ${t}`);
  if (extras.scale)
    console.log(`\n## Scale and memory\n\n\`\`\`json\n${JSON.stringify(extras.scale, null, 2)}\n\`\`\``);
  if (skipped.length) console.log(`\nSkipped: ${skipped.join(', ')}`);
  console.log(`\nWrote results/${file} in ${meta.seconds} s.`);
}

/** The issue's targets, each judged `met` / `NOT met` on this run's figures (full runs only). */
function targets(
  rows: readonly Row[],
  paired: readonly Paired[],
  memory: MemoryFigures | undefined,
): string[] {
  const row = (name: string, scenario: Scenario) =>
    rows.find((r) => r.name === name && r.scenario === scenario);
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const out: string[] = [];
  for (const { scenario, tessera: t, peer: p, want } of TARGET_PAIRS) {
    const pair = paired.find((x) => x.tessera === t && x.scenario === scenario);
    const what = scenario === 'read' ? 'read-only' : 'count++';
    if (pair) {
      const x = pair.reqPerSecRatio;
      out.push(
        `${what} ${t} / ${p}: ${x.toFixed(2)}× req/s, ${pair.cpuRatio.toFixed(2)}× less CPU per request ` +
          `(${pair.tesseraCpuUsPerReq} vs ${pair.peerCpuUsPerReq} µs, user CPU alone ${pair.userCpuRatio}×; median of ${pair.slices} paired slices) ` +
          `(target ≥ ${want}×) ${verdict(x >= want)}`,
      );
      continue;
    }
    // No pairs ran (a run with --only and no peer, say): the medians of the passes, if both ran.
    const a = row(t, scenario);
    const b = row(p, scenario);
    if (!a || !b || scenario === 'read') continue;
    const x = a.reqPerSec / b.reqPerSec;
    out.push(
      `${what} ${t} / ${p}: ${x.toFixed(2)}× req/s, CPU ${a.serverCpuUsPerReq} vs ${b.serverCpuUsPerReq} µs ` +
        `(medians of the passes) (target ≥ ${want}×) ${verdict(x >= want)}`,
    );
  }
  for (const r of rows.filter(
    (x) => x.library === 'tessera' && x.store === 'redis' && !x.name.endsWith('+near'),
  )) {
    const want =
      r.scenario === 'read' || r.scenario === 'hot'
        ? 1
        : r.scenario === 'write'
          ? 2
          : r.scenario === 'none'
            ? 0
            : null;
    if (want === null) continue;
    // A read's touch, when due, is one round trip more by design: counted and shown apart.
    const touches = r.touchesPerReq ?? 0;
    const cmds = r.storeCmdsPerReq === null ? null : r.storeCmdsPerReq - touches;
    out.push(
      `${r.name} ${r.scenario}: ${cmds?.toFixed(2)} Redis commands/request${
        touches > 0 ? ` + ${touches.toFixed(2)} touches (due once per session per minute)` : ''
      } (target ${want.toFixed(2)}) ${verdict(
        // Counted under load: a request cut by the window's edges moves it by ~1e-3 at most.
        cmds !== null && Math.abs(cmds - want) < 0.005,
      )}`,
    );
  }
  // Redis' own time: the shared Redis is what saturates first.
  const peers = rows.filter(
    (r) =>
      r.library !== 'bare' &&
      r.library !== 'tessera' &&
      r.store === 'redis' &&
      r.scenario === 'read' &&
      r.redisUsecPerReq != null,
  );
  const cheapest = peers.sort((a, b) => a.redisUsecPerReq! - b.redisUsecPerReq!)[0];
  const ours = { read: row('tessera-hono+redis', 'read'), write: row('tessera-hono+redis', 'write') };
  if (cheapest && ours.read?.redisUsecPerReq != null && ours.write?.redisUsecPerReq != null) {
    const base = cheapest.redisUsecPerReq!;
    out.push(
      `Redis time per read: Tessera ${ours.read.redisUsecPerReq.toFixed(1)} µs (process ${ours.read.redisProcessCpuUsPerReq?.toFixed(1)}) ` +
        `vs the cheapest peer ${cheapest.name} ${base.toFixed(1)} µs (process ${cheapest.redisProcessCpuUsPerReq?.toFixed(1)}) ` +
        `(target ≤ the cheapest peer's) ${verdict(ours.read.redisUsecPerReq <= base)}`,
      `Redis time per change: Tessera ${ours.write.redisUsecPerReq.toFixed(1)} µs (process ${ours.write.redisProcessCpuUsPerReq?.toFixed(1)}) ` +
        `(target ≤ 2 × ${base.toFixed(1)}) ${verdict(ours.write.redisUsecPerReq <= 2 * base)}`,
    );
  }
  if (memory?.tesseraBytesPerSession) {
    const m = memory.tesseraBytesPerSession;
    out.push(
      `bytes per small signed-in session: ${m.total} (hash ${m.sessionHash} + index ${m.userIndex}; connect-redis ${memory.connectRedisBytesPerSession}) ` +
        `(target ≤ 250) ${verdict(m.total <= 250)}`,
    );
  }
  for (const r of rows.filter((x) => x.library === 'tessera' && x.scenario === 'read')) {
    const bare = row(r.framework, 'read');
    if (bare)
      out.push(
        `${r.name} read: +${r.serverCpuUsPerReq - bare.serverCpuUsPerReq} µs server CPU per request over bare ${r.framework} ` +
          `(user CPU +${r.serverUserUsPerReq - bare.serverUserUsPerReq})`,
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
