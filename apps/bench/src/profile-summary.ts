/**
 * Summarise V8 CPU profiles (`--profile=DIR`): self time per function and per package, so a
 * hot-path proposal can name what costs. Usage: tsx src/profile-summary.ts FILE.cpuprofile [N]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary FILE.cpuprofile [N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[] };
const total = profile.samples.length;
const byFn = new Map<string, number>();
const byPkg = new Map<string, number>();
for (const n of profile.nodes) {
  if (!n.hitCount) continue;
  const url = n.callFrame.url.replace(/^file:\/\//, '');
  const short = url
    .replace(/.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
    .replace(/.*\/work\/main\//, '');
  const key = `${n.callFrame.functionName || '(anonymous)'} ${short}:${n.callFrame.lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + n.hitCount);
  const pkg =
    url === ''
      ? `(${n.callFrame.functionName})`
      : (/packages\/[^/]+/.exec(url)?.[0] ??
        /node_modules\/((@[^/]+\/)?[^/]+)/.exec(short)?.[1] ??
        (url.startsWith('node:') ? 'node core' : short.split('/').slice(0, 2).join('/')));
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + n.hitCount);
}
const top = Number(topArg ?? 25);
const pct = (x: number) => `${((100 * x) / total).toFixed(1)}%`;
console.log(`samples: ${total}\n\nby package:`);
for (const [k, v] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, 15))
  console.log(`  ${pct(v).padStart(6)}  ${k}`);
console.log('\nby function (self):');
for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`  ${pct(v).padStart(6)}  ${k}`);
