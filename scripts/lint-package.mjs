#!/usr/bin/env node
// `lint:package` of a published package (run in its directory, after its build): pack it the
// way it is published (`pnpm pack` applies publishConfig), then lint the tarball itself.
// - publint --strict.
// - attw --profile node16: types for `moduleResolution` node16 from ESM and from CommonJS, and
//   bundler. `cjs-resolves-to-esm` is ignored on purpose: the packages are ESM only and their
//   engines (^20.19 || >=22.12) are the Node versions whose require() loads ESM, so a
//   CommonJS consumer's require() works; TypeScript still reports TS1479 under
//   `module: node16` (see each README, "Module system"). node10 is out of the profile: it
//   ignores `exports`, and the READMEs say what to change.
// - The packed manifest points at dist only (no workspace `@tessera/source` condition) and
//   ships no tests.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'tessera-lint-package-'));
function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    process.exit(r.status ?? 1);
  }
  return r;
}
try {
  run('pnpm', ['pack', '--pack-destination', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = join(
    dir,
    readdirSync(dir).find((f) => f.endsWith('.tgz')),
  );
  run('pnpm', ['exec', 'publint', 'run', '--strict', tarball]);
  run('pnpm', ['exec', 'attw', tarball, '--profile', 'node16', '--ignore-rules', 'cjs-resolves-to-esm']);
  const list = spawnSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' });
  const files = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).stdout.split('\n');
  const problems = [];
  // The exports map, not the whole text: a dev script may name the condition on its command line.
  const manifest = JSON.parse(list.stdout);
  if (JSON.stringify(manifest.exports ?? null).includes('@tessera/source'))
    problems.push('the packed package.json still has the workspace-only @tessera/source condition');
  for (const file of files) if (/\.test\.[jt]s$|\/test\//.test(file)) problems.push(`ships a test: ${file}`);
  for (const line of problems) console.error(`lint:package: ${line}`);
  if (problems.length > 0) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
