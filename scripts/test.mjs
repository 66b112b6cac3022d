#!/usr/bin/env node
// `pnpm test`: lint, typecheck, then every vitest project in one run, ending with one line
// `N passed, N failed` (totals of all suites) so a run that executed nothing is visible.
// Extra arguments go to vitest (e.g. `pnpm test packages/core`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
  console.log('\n== typecheck (every package) ==');
  if (run('pnpm', ['exec', 'turbo', 'run', 'typecheck', '--continue', '--output-logs=errors-only']) !== 0) checksFailed++;
  console.log('\n== published packages (build, publint, arethetypeswrong) ==');
  if (run('pnpm', ['exec', 'turbo', 'run', 'lint:package', '--continue', '--output-logs=errors-only']) !== 0) checksFailed++;
}

console.log('\n== tests (vitest, all projects) ==');
const dir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
const report = join(dir, 'report.json');
const status = run('pnpm', [
  'exec',
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...vitestArgs,
]);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed = json.numPassedTests ?? 0;
  failed = (json.numFailedTests ?? 0) + (json.numFailedTestSuites ?? 0) * 0;
  skipped = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
  // A suite that failed to load has no failed tests in it; count it so it cannot hide.
  for (const file of json.testResults ?? []) {
    if (file.status === 'failed' && (file.assertionResults ?? []).every((a) => a.status !== 'failed'))
      failed++;
  }
} catch {
  failed = Math.max(failed, 1);
}
rmSync(dir, { recursive: true, force: true });
failed += checksFailed;
if (status !== 0 && failed === 0) failed = 1;
if (checksFailed > 0) console.log(`(${checksFailed} of lint/typecheck failed; counted as failures)`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
