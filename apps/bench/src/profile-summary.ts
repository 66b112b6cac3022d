/**
 * Summarise V8 CPU profiles of measured phases (`pnpm bench --profile=DIR`): self time per
 * function and per package, in µs per request when the profile says how many requests it
 * served, so a hot-path proposal can name what it costs. Several files (the phases of one
 * contender) are added up. Usage: tsx src/profile-summary.ts FILE.cpuprofile... [--top=N]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
}
interface Profile {
  nodes: Node[];
  samples: number[];
  startTime: number;
  endTime: number;
  requests?: number;
}

const args = process.argv.slice(2);
const files = args.filter((a) => !a.startsWith('--'));
const top = Number(args.find((a) => a.startsWith('--top='))?.slice(6) ?? 30);
if (files.length === 0) throw new Error('usage: profile-summary FILE.cpuprofile... [--top=N]');

const byFn = new Map<string, number>();
const byPkg = new Map<string, number>();
let spanUs = 0;
let requests = 0;
let samples = 0;
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const usPerSample = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
  spanUs += profile.endTime - profile.startTime;
  samples += profile.samples.length;
  requests += profile.requests ?? 0;
  for (const n of profile.nodes) {
    if (!n.hitCount) continue;
    const us = n.hitCount * usPerSample;
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    const short = url
      .replace(/.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
      .replace(/.*\/work\/[^/]+\//, '');
    const key = `${n.callFrame.functionName || '(anonymous)'} ${short}:${n.callFrame.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    const pkg =
      url === ''
        ? `(${n.callFrame.functionName})`
        : (/packages\/[^/]+/.exec(url)?.[0] ??
          /node_modules\/((@[^/]+\/)?[^/]+)/.exec(short)?.[1] ??
          (url.startsWith('node:') ? 'node core' : short.split('/').slice(0, 2).join('/')));
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us);
  }
}
const busy = [...byPkg].reduce((sum, [k, v]) => (k === '((idle))' ? sum : sum + v), 0);
const fmt = (us: number) =>
  requests > 0
    ? `${(us / requests).toFixed(1).padStart(6)} µs/req`
    : `${((100 * us) / spanUs).toFixed(1).padStart(5)}%`;
console.log(
  `${files.length} profile(s), ${samples} samples over ${(spanUs / 1e6).toFixed(2)} s` +
    (requests > 0 ? `, ${requests} requests: ${(busy / requests).toFixed(1)} µs busy per request` : ''),
);
console.log('\nby package:');
for (const [k, v] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${fmt(v)}  ${k}`);
console.log('\nby function (self):');
for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${fmt(v)}  ${k}`);
