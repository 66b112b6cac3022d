/**
 * The conformance kit proves something only if it fails on stores that break the contract
 * (issue #15). It runs, in a child vitest, the store contract against a control store and
 * against stores that each break one guarantee (self-test/broken-stores.ts): the control must
 * pass every case, each broken store must fail at least one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BROKEN } from './self-test/broken-stores.js';

interface Assertion {
  readonly ancestorTitles: readonly string[];
  readonly status: string;
}

describe('the store contract kit catches broken stores', () => {
  it('fails each deliberately broken store and passes the control', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-kit-self-test-'));
    try {
      const report = join(dir, 'report.json');
      const config = fileURLToPath(new URL('./self-test/vitest.config.ts', import.meta.url));
      const run = spawnSync(
        'pnpm',
        ['exec', 'vitest', 'run', '--config', config, '--reporter=json', `--outputFile=${report}`],
        {
          cwd: fileURLToPath(new URL('..', import.meta.url)),
          encoding: 'utf8',
          env: { ...process.env, CI: '' },
        },
      );
      const json = JSON.parse(readFileSync(report, 'utf8')) as {
        testResults: { assertionResults: Assertion[] }[];
      };
      const results = json.testResults.flatMap((f) => f.assertionResults);
      const failedOf = (name: string) =>
        results.filter((a) => a.ancestorTitles.includes(`store contract: ${name}`) && a.status === 'failed')
          .length;
      const ranOf = (name: string) =>
        results.filter((a) => a.ancestorTitles.includes(`store contract: ${name}`) && a.status !== 'skipped')
          .length;
      const summary = Object.fromEntries(BROKEN.map((b) => [b.name, failedOf(b.name)]));
      expect(ranOf('control (nothing broken)'), run.stderr.slice(-2000)).toBeGreaterThan(20);
      expect(summary['control (nothing broken)'], JSON.stringify(summary)).toBe(0);
      for (const b of BROKEN.slice(1))
        expect(summary[b.name], `${b.name}: ${JSON.stringify(summary)}`).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
