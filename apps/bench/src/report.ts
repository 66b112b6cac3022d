/** Results: medians over passes, ratios to the bare framework, the table, the JSON and the chart. */
import type { Contender, Framework, Scenario } from './contenders.js';

/** One row of `results/latest.json`. */
export interface Row {
  readonly name: string;
  readonly framework: Framework;
  readonly library: string;
  readonly store: string;
  readonly scenario: Scenario;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serverCpuUsPerReq: number;
  /** (max − min) / median of the passes' server CPU per request, in %: how far the passes agree. */
  readonly cpuSpreadPct: number;
  /**
   * The user part of `serverCpuUsPerReq` (median of the passes). The rest is kernel time,
   * mostly socket calls: more with each store round trip, and a little more when a server
   * is slower (the closed-loop load generator must be woken more often; see the README).
   */
  readonly serverUserUsPerReq: number;
  /** The same for req/s. */
  readonly reqPerSecSpreadPct: number;
  /** Commands / statements / round trips the server's clients sent per request; null: no external store. */
  readonly storeCmdsPerReq: number | null;
  /** Redis, read scenarios: the share of `storeCmdsPerReq` that were touches (a script on a read). */
  readonly touchesPerReq?: number | null;
  /** reqPerSec over the bare framework's, same scenario, same run. */
  readonly ratioToBare: number | null;
  /** Redis only: every command the server executed per request, including inside scripts (INFO commandstats). */
  readonly redisExecutedPerReq?: number | null;
  /** Redis only: that breakdown per command name. */
  readonly redisCommands?: Readonly<Record<string, number>>;
  /** Redis only: µs Redis spent executing the commands the clients sent, per request (INFO commandstats usec). */
  readonly redisUsecPerReq?: number | null;
  /** Redis only: the redis-server process's CPU per request (user + system; includes its network I/O). */
  readonly redisProcessCpuUsPerReq?: number | null;
  /**
   * The load generator's CPU per request (it shares the second core with Redis): with the
   * server's and Redis', it tells which core limited the throughput.
   */
  readonly loaderCpuUsPerReq?: number | null;
  readonly passes: number;
  /** Non-2xx answers and socket errors over all passes (should be 0). */
  readonly failures: number;
}

/** One measured phase. */
export interface Sample {
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuUsPerReq: number;
  /** The user part of `cpuUsPerReq` (see `Row.serverUserUsPerReq`). */
  readonly userUsPerReq: number;
  readonly storeCmdsPerReq: number | null;
  /** Redis, read scenarios: touches per request among those commands (filled in by the runner). */
  readonly touchesPerReq?: number | null;
  readonly redisExecutedPerReq: number | null;
  readonly redisCommands: Record<string, number> | null;
  /** Redis only: microseconds Redis spent per request in each command (INFO commandstats usec). */
  readonly redisUsecByCommand: Record<string, number> | null;
  /**
   * Redis only: the usec of the commands the clients sent (a script's usec includes what it
   * ran inside); filled in by the runner once it knows which commands those are (MONITOR).
   */
  readonly redisUsecPerReq: number | null;
  /** Redis only: the redis-server process's CPU (user + system, from /proc) per request. */
  readonly redisProcessCpuUsPerReq: number | null;
  /** The load generator's CPU (user + system, from /proc) per request; null where there is none. */
  readonly loaderCpuUsPerReq: number | null;
  readonly failures: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/** (max − min) / median, in %, rounded to 0.1; 0 for a single pass. */
export function spreadPct(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = median(xs);
  return m > 0 ? Math.round(((Math.max(...xs) - Math.min(...xs)) / m) * 1000) / 10 : 0;
}

export function toRows(
  samples: ReadonlyMap<string, { c: Contender; scenario: Scenario; samples: Sample[] }>,
): Row[] {
  const rows: Row[] = [];
  for (const { c, scenario, samples: s } of samples.values()) {
    const nullable = (pick: (x: Sample) => number | null) => {
      const xs = s.map(pick).filter((x): x is number => x !== null);
      return xs.length ? r2(median(xs)) : null;
    };
    const last = s.find((x) => x.redisCommands !== null)?.redisCommands ?? null;
    rows.push({
      name: c.name,
      framework: c.framework,
      library: c.library,
      store: c.store,
      scenario,
      reqPerSec: Math.round(median(s.map((x) => x.reqPerSec))),
      p50Ms: r2(median(s.map((x) => x.p50Ms))),
      p99Ms: r2(median(s.map((x) => x.p99Ms))),
      serverCpuUsPerReq: Math.round(median(s.map((x) => x.cpuUsPerReq))),
      cpuSpreadPct: spreadPct(s.map((x) => x.cpuUsPerReq)),
      serverUserUsPerReq: Math.round(median(s.map((x) => x.userUsPerReq))),
      reqPerSecSpreadPct: spreadPct(s.map((x) => x.reqPerSec)),
      storeCmdsPerReq: nullable((x) => x.storeCmdsPerReq),
      ratioToBare: null,
      ...(c.store === 'redis'
        ? {
            redisExecutedPerReq: nullable((x) => x.redisExecutedPerReq),
            touchesPerReq: nullable((x) => x.touchesPerReq ?? null),
            ...(last ? { redisCommands: last } : {}),
            redisUsecPerReq: nullable((x) => x.redisUsecPerReq),
            redisProcessCpuUsPerReq: nullable((x) => x.redisProcessCpuUsPerReq),
          }
        : {}),
      loaderCpuUsPerReq: nullable((x) => x.loaderCpuUsPerReq),
      passes: s.length,
      failures: s.reduce((a, x) => a + x.failures, 0),
    });
  }
  return rows.map((row) => {
    const bare = rows.find(
      (b) => b.library === 'bare' && b.framework === row.framework && b.scenario === row.scenario,
    );
    return { ...row, ratioToBare: bare ? r2(row.reqPerSec / bare.reqPerSec) : null };
  });
}

export function markdownTable(rows: readonly Row[]): string {
  const out = [
    '| contender | scenario | server CPU µs/req (spread) | req/s (spread) | p50 ms | p99 ms | store cmds/req | Redis µs/req (process) | × bare |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|',
  ];
  const redis = (r: Row) =>
    r.redisUsecPerReq == null
      ? '–'
      : `${r.redisUsecPerReq.toFixed(1)} (${r.redisProcessCpuUsPerReq?.toFixed(1) ?? '–'})`;
  for (const r of rows) {
    out.push(
      `| ${r.name} | ${r.scenario} | ${r.serverCpuUsPerReq} (${r.cpuSpreadPct}%) | ${r.reqPerSec} (${r.reqPerSecSpreadPct}%) | ${r.p50Ms} | ${r.p99Ms} | ${
        r.storeCmdsPerReq === null ? '–' : r.storeCmdsPerReq.toFixed(2)
      } | ${redis(r)} | ${r.ratioToBare === null ? '–' : r.ratioToBare.toFixed(2)} |${r.failures > 0 ? ` ⚠ ${r.failures} failed` : ''}`,
    );
  }
  return out.join('\n');
}

const COLORS: Record<string, string> = { bare: '#9aa0a6', peer: '#e8710a', tessera: '#1a73e8' };

/** The headline chart: read-only on Redis, per framework, bare vs peer vs Tessera (req/s). */
export function readOnlySvg(rows: readonly Row[], contenders: readonly Contender[], caption: string): string {
  const kindOf = (name: string) => contenders.find((c) => c.name === name)?.kind ?? 'peer';
  const frameworks: Framework[] = ['express', 'koa', 'hono', 'fastify', 'nestjs'];
  const groups = frameworks
    .map((f) => ({
      f,
      bars: rows.filter(
        (r) => r.framework === f && r.scenario === 'read' && (r.store === 'redis' || r.library === 'bare'),
      ),
    }))
    .filter((g) => g.bars.length > 0);
  const max = Math.max(1, ...groups.flatMap((g) => g.bars.map((b) => b.reqPerSec)));
  const barW = 34;
  const gap = 6;
  const groupGap = 36;
  const left = 64;
  const top = 48;
  const plotH = 260;
  let x = left + 16;
  const parts: string[] = [];
  for (const g of groups) {
    const start = x;
    for (const b of g.bars) {
      const h = Math.round((b.reqPerSec / max) * plotH);
      const kind = kindOf(b.name);
      parts.push(
        `<rect x="${x}" y="${top + plotH - h}" width="${barW}" height="${h}" fill="${COLORS[kind]}"><title>${esc(b.name)}: ${b.reqPerSec} req/s</title></rect>`,
        `<text x="${x + barW / 2}" y="${top + plotH - h - 4}" font-size="10" text-anchor="middle">${(b.reqPerSec / 1000).toFixed(1)}k</text>`,
      );
      x += barW + gap;
    }
    parts.push(
      `<text x="${(start + x - gap) / 2}" y="${top + plotH + 18}" font-size="13" text-anchor="middle">${g.f}</text>`,
    );
    x += groupGap;
  }
  const width = x + 16;
  const height = top + plotH + 70;
  const ticks: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = top + plotH - (plotH * i) / 4;
    ticks.push(
      `<line x1="${left}" x2="${width - 8}" y1="${y}" y2="${y}" stroke="#e0e0e0"/>`,
      `<text x="${left - 6}" y="${y + 4}" font-size="10" text-anchor="end">${(v / 1000).toFixed(1)}k</text>`,
    );
  }
  const legend = (['bare', 'peer', 'tessera'] as const)
    .map(
      (k, i) =>
        `<rect x="${left + i * 110}" y="${top + plotH + 34}" width="12" height="12" fill="${COLORS[k]}"/><text x="${left + i * 110 + 18}" y="${top + plotH + 44}" font-size="12">${k === 'peer' ? 'peer library' : k === 'bare' ? 'bare framework' : 'Tessera'}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${left}" y="22" font-size="15" font-weight="bold">Read-only request on an existing session, Redis store (req/s, higher is better)</text>
<text x="${left}" y="38" font-size="11" fill="#555">${esc(caption)}</text>
${ticks.join('\n')}
${parts.join('\n')}
${legend}
</svg>
`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One target pair as measured in paired slices (see `pairedRatios` in run.ts). */
export interface PairedRatio {
  readonly tessera: string;
  readonly peer: string;
  readonly want: number;
  readonly slices: number;
  readonly reqPerSecRatio: number;
  readonly cpuRatio: number;
}

/**
 * The headline: read-only throughput of Tessera over its peer on each framework, from the
 * paired slices, against parity (1×) and the target. Steadier than bars of req/s from
 * separate medians on a machine whose speed drifts between passes.
 */
export function pairedSvg(pairs: readonly PairedRatio[], caption: string): string {
  const left = 64;
  const top = 48;
  const plotH = 240;
  const barW = 56;
  const slot = 230;
  const max = Math.max(2.5, ...pairs.map((p) => Math.max(p.reqPerSecRatio, p.want) + 0.25));
  const y = (v: number) => Math.round(top + plotH - (v / max) * plotH);
  const width = Math.max(760, left + 16 + pairs.length * slot);
  const height = top + plotH + 78;
  const parts: string[] = [];
  for (let v = 0; v <= max + 1e-9; v += 0.5) {
    parts.push(
      `<line x1="${left}" x2="${width - 8}" y1="${y(v)}" y2="${y(v)}" stroke="${v === 1 ? '#888' : '#e8e8e8'}"${v === 1 ? ' stroke-dasharray="4 3"' : ''}/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end">${v.toFixed(1)}×</text>`,
    );
  }
  pairs.forEach((p, i) => {
    const x = left + 16 + i * slot + (slot - barW) / 2 - 30;
    const met = p.reqPerSecRatio >= p.want;
    parts.push(
      `<rect x="${x}" y="${y(p.reqPerSecRatio)}" width="${barW}" height="${y(0) - y(p.reqPerSecRatio)}" fill="${COLORS.tessera}"><title>${esc(p.tessera)} / ${esc(p.peer)}: ${p.reqPerSecRatio}× req/s (${p.slices} paired slices)</title></rect>`,
      `<text x="${x + barW / 2}" y="${y(p.reqPerSecRatio) - 5}" font-size="12" font-weight="bold" text-anchor="middle">${p.reqPerSecRatio.toFixed(2)}×</text>`,
      `<line x1="${x - 8}" x2="${x + barW + 8}" y1="${y(p.want)}" y2="${y(p.want)}" stroke="#d93025" stroke-width="2"/>`,
      `<text x="${x + barW + 12}" y="${y(p.want) + 4}" font-size="10" fill="#d93025">target ${p.want}× ${met ? '(met)' : '(not met)'}</text>`,
      `<text x="${x + barW / 2}" y="${top + plotH + 18}" font-size="12" text-anchor="middle">${esc(p.tessera.replace(/^tessera-|\+redis$/g, ''))}</text>`,
      `<text x="${x + barW / 2}" y="${top + plotH + 33}" font-size="10" fill="#555" text-anchor="middle">vs ${esc(p.peer.replace(/\+.*$/, ''))}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${left}" y="22" font-size="15" font-weight="bold">Read-only throughput: Tessera ÷ the peer library (Redis; 1× = parity)</text>
<text x="${left}" y="38" font-size="11" fill="#555">${esc(caption)}</text>
${parts.join('\n')}
<text x="${left}" y="${top + plotH + 62}" font-size="11" fill="#555">Median ratio over ${pairs[0]?.slices ?? 0} back-to-back (ABBA) slices of the two servers; red: the target.</text>
</svg>
`;
}
