/**
 * The adapter contract (contract.test.ts: memory store and Redis) on Bun and Deno: vitest
 * itself runs in that runtime (`bun --bun vitest`, `deno run -A vitest`), so the suite, the
 * manager with its ManualClock and instrumented store, and the TEST APP on `Bun.serve` /
 * `Deno.serve` all live in one process, as on Node. This test starts each run and asserts it
 * passed in full. The binaries come from the `bun` and `deno` packages of the registry
 * (devDependencies here); without one the run is skipped loudly, and fails under CI=true.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBinary, isCI, serviceMissing } from '@tessera/test-support';
import { describe, expect, it } from 'vitest';
import { runtime } from './runtime.js';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, '..');
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');

interface Report {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTotalTests: number;
  testResults: { assertionResults: { fullName: string; status: string }[] }[];
}

function runContract(command: string, args: string[], expect: string): Promise<Report & { output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-web-'));
  const report = join(dir, 'report.json');
  const child = spawn(
    command,
    [
      ...args,
      vitest,
      'run',
      '--project',
      'web',
      'test/contract.test.ts',
      '--reporter=json',
      `--outputFile=${report}`,
    ],
    { cwd: packageDir, env: { ...process.env, TESSERA_EXPECT_RUNTIME: expect, NO_COLOR: '1' } },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d));
  child.stderr.on('data', (d: Buffer) => (output += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', () => {
      try {
        resolve({ ...(JSON.parse(readFileSync(report, 'utf8')) as Report), output });
      } catch {
        reject(new Error(`${command}: no report; its output:\n${output.slice(-4000)}`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

const RUNTIMES = [
  { name: 'bun', args: ['--bun'] },
  { name: 'deno', args: ['run', '-A'] },
] as const;

describe.skipIf(runtime !== 'node')('the adapter contract on other runtimes', () => {
  for (const { name, args } of RUNTIMES) {
    const command = binaryOf(name);
    it.skipIf(command === undefined)(
      `${name}: every case passes, on the memory store and Redis, inside ${name}`,
      async () => {
        const r = await runContract(command!, [...args], name);
        const cases = r.testResults.flatMap((f) => f.assertionResults);
        if (r.numFailedTests > 0) console.error(r.output.slice(-8000));
        expect(r.numFailedTests).toBe(0);
        const passed = (store: string) =>
          cases.filter((c) => c.fullName.includes(`(${store} store)`) && c.status === 'passed').length;
        // Both stores ran. Redis is skipped (loudly, in the run's output) only outside CI.
        expect(passed('memory')).toBeGreaterThan(20);
        if (isCI || r.numPendingTests === 0) expect(passed('redis')).toBeGreaterThan(20);
        // The cases ran in that runtime, not in a Node worker.
        expect(cases.find((c) => c.fullName.includes('is the one the run was started for'))?.status).toBe(
          'passed',
        );
        console.log(
          `${name}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`,
        );
      },
      180_000,
    );
  }
});

/** The package's own binary (node_modules/.bin), else one on PATH. */
function binaryOf(name: string): string | undefined {
  const local = join(packageDir, 'node_modules', '.bin', name);
  const found = existsSync(local) ? local : findBinary(name);
  if (found === undefined) serviceMissing(name, `pnpm install in packages/web installs the ${name} package`);
  return found;
}
