#!/usr/bin/env node
// `pnpm check:pack`: what a user installs. Builds, packs every published package the way it is
// published (`pnpm pack` applies publishConfig), installs the tarballs with npm into a fresh
// project together with the peers a user would add, and fails on any npm warning naming one of
// our packages (peers, engines), then loads each package once as ESM (`import`) and once from
// CommonJS (`require()`, which Node ^20.19 || >=22.12 supports for ESM).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The peers a user of every package would install (stores' clients, adapters' frameworks).
const PEERS = [
  'hono@^4',
  'koa@^3',
  'express@^5',
  'fastify@^5',
  '@nestjs/common@^11',
  '@nestjs/core@^11',
  '@nestjs/platform-express@^11',
  'reflect-metadata@^0.2',
  'rxjs@^7',
  'ioredis@^5',
  'vitest@^4',
];

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (r.status !== 0) {
    process.stderr.write(r.stdout ?? '');
    process.stderr.write(r.stderr ?? '');
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  }
  return r;
}

const published = readdirSync(join(root, 'packages'))
  .map((dir) => join(root, 'packages', dir))
  .filter((dir) => {
    try {
      return !JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private;
    } catch {
      return false;
    }
  });
// Every entry point a user can import: each package and its subpaths (`@tessera/session-core/node`).
const names = published.flatMap((dir) => {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return Object.keys(pkg.publishConfig?.exports ?? pkg.exports)
    .filter((key) => key !== './package.json')
    .map((key) => (key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`));
});

const work = mkdtempSync(join(tmpdir(), 'tessera-pack-check-'));
let failed = false;
try {
  console.log('build');
  run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'], {
    cwd: root,
    stdio: 'inherit',
  });
  const tarballs = [];
  for (const dir of published) {
    const before = new Set(readdirSync(work));
    run('pnpm', ['pack', '--pack-destination', work], { cwd: dir });
    const made = readdirSync(work).find((f) => f.endsWith('.tgz') && !before.has(f));
    tarballs.push(join(work, made));
  }
  console.log(`packed ${tarballs.length}: ${tarballs.map((t) => t.slice(work.length + 1)).join(', ')}`);

  const app = join(work, 'app');
  run('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-check-app', private: true }));
  const install = spawnSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=warn', ...tarballs, ...PEERS],
    { cwd: app, encoding: 'utf8' },
  );
  const output = `${install.stdout}\n${install.stderr}`;
  if (install.status !== 0) {
    process.stderr.write(output);
    throw new Error(`npm install exited ${install.status}`);
  }
  const ours = output
    .split('\n')
    .filter((line) => /\bwarn\b/i.test(line) && (line.includes('@tessera/') || line.includes('tessera-')));
  for (const line of ours) console.error(`npm warned about our packages: ${line}`);
  const others = output.split('\n').filter((line) => /\bwarn\b/i.test(line) && !ours.includes(line));
  if (others.length > 0)
    console.log(`npm warnings about other packages (not ours, not failing):\n${others.join('\n')}`);
  if (ours.length > 0) failed = true;
  else console.log('npm install: no warnings about our packages');

  const esm = names.map((n, i) => `import * as m${i} from '${n}';`).join('\n');
  const checks = names.map(
    (n, i) => `if (Object.keys(m${i}).length === 0) throw new Error('${n}: nothing exported');`,
  );
  writeFileSync(
    join(app, 'load.mjs'),
    `${esm}\n${checks.join('\n')}\nconsole.log('import: ${names.length} entry points');\n`,
  );
  writeFileSync(
    join(app, 'load.cjs'),
    `${names.map((n) => `if (Object.keys(require('${n}')).length === 0) throw new Error('${n}: nothing exported');`).join('\n')}\nconsole.log('require(): ${names.length} entry points');\n`,
  );
  for (const file of ['load.mjs', 'load.cjs']) {
    const r = spawnSync(process.execPath, [file], { cwd: app, encoding: 'utf8' });
    process.stdout.write(r.stdout);
    // require(esm) prints an ExperimentalWarning on Node 20 / 22.12: Node's, not ours.
    const stderr = r.stderr
      .split('\n')
      .filter((l) => l.trim() && !/ExperimentalWarning|--trace-warnings/.test(l))
      .join('\n');
    if (r.status !== 0 || stderr) {
      console.error(`${file} failed:\n${r.stderr}`);
      failed = true;
    }
  }
} catch (error) {
  console.error(String(error));
  failed = true;
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(failed ? 'pack check FAILED' : 'pack check passed');
process.exit(failed ? 1 : 0);
