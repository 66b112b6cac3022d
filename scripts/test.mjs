#!/usr/bin/env node
// `pnpm test`: lint, typecheck, README examples, import direction, package checks and the pack
// check, then every vitest project, ending with one line `N passed, N failed, N skipped` (totals
// of all suites) so a run that executed nothing is visible. Extra arguments go to vitest (e.g.
// `pnpm test packages/core`) and skip the checks.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const quick = args.includes('--no-checks');
const vitestArgs = args.filter((a) => a !== '--no-checks');

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', env: process.env });
  return r.status ?? 1;
}

let checksFailed = 0;
if (!quick && vitestArgs.length === 0) {
  console.log('\n== lint (biome) ==');
  if (run('pnpm', ['exec', 'biome', 'check', '.']) !== 0) checksFailed++;
  console.log('\n== lint (typescript-eslint: no floating promises) ==');
  if (run('pnpm', ['lint:promises']) !== 0) checksFailed++;
  console.log('\n== typecheck (every package) ==');
  if (run('pnpm', ['exec', 'turbo', 'run', 'typecheck', '--continue', '--output-logs=errors-only']) !== 0)
    checksFailed++;
  console.log('\n== README examples (tsc --strict against the packages) ==');
  if (run('node', ['scripts/check-readme-examples.mjs']) !== 0) checksFailed++;
  console.log('\n== import direction (scripts/check-imports.mjs, and its self-test) ==');
  if (run('node', ['scripts/check-imports.mjs']) !== 0) checksFailed++;
  if (run('node', ['scripts/check-imports.mjs', '--self-test']) !== 0) checksFailed++;
  console.log('\n== published packages (build, publint, arethetypeswrong) ==');
  if (
    run('pnpm', ['exec', 'turbo', 'run', 'lint:package', '--continue', '--output-logs=errors-only']) !== 0
  ) {
    checksFailed++;
  }
  // ~15 s with a warm npm cache: the tarballs into a fresh npm project, no warnings about
  // ours, each entry point loaded by import and by require().
  console.log('\n== pack check (scripts/pack-check.mjs: npm install of the packed tarballs) ==');
  if (run('node', ['scripts/pack-check.mjs']) !== 0) checksFailed++;
}

// The fault and soak suites (apps/hardening) kill servers and measure a server's memory:
// they run after everything else, alone, so the rest of the tests cannot starve them.
const SOLO = ['hardening'];
const projects = [];
// Packages, apps, and the example apps one level further down (apps/examples/next).
for (const root of ['packages', 'apps', 'apps/examples']) {
  if (!existsSync(root)) continue;
  for (const dir of readdirSync(root)) {
    const config = join(root, dir, 'vitest.config.ts');
    if (!existsSync(config)) continue;
    const name = /name: '([^']+)'/.exec(readFileSync(config, 'utf8'))?.[1];
    if (name) projects.push(name);
  }
}
const only = (names) => names.flatMap((p) => ['--project', p]);
const phases =
  vitestArgs.length > 0
    ? [['selected', vitestArgs]]
    : [
        ['all but the fault/soak suites', only(projects.filter((p) => !SOLO.includes(p)))],
        ['fault and soak suites, alone', only(SOLO.filter((p) => projects.includes(p)))],
      ].filter(([, a]) => a.length > 0);

let passed = 0;
let failed = 0;
let skipped = 0;
for (const [title, phaseArgs] of phases) {
  console.log(`\n== tests (vitest: ${title}) ==`);
  const dir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
  const report = join(dir, 'report.json');
  const status = run('pnpm', [
    'exec',
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...phaseArgs,
  ]);
  let phaseFailed = 0;
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    passed += json.numPassedTests ?? 0;
    phaseFailed += json.numFailedTests ?? 0;
    skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
    // A suite that failed to load has no failed tests in it; count it so it cannot hide.
    for (const file of json.testResults ?? []) {
      if (file.status === 'failed' && (file.assertionResults ?? []).every((a) => a.status !== 'failed')) {
        phaseFailed++;
      }
    }
  } catch {
    phaseFailed = Math.max(phaseFailed, 1);
  }
  rmSync(dir, { recursive: true, force: true });
  if (status !== 0 && phaseFailed === 0) phaseFailed = 1;
  failed += phaseFailed;
}
failed += checksFailed;
if (checksFailed > 0)
  console.log(`(${checksFailed} of lint/typecheck/README/package checks failed; counted as failures)`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
