import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@tessera/source'] },
  ssr: { resolve: { conditions: ['@tessera/source'] } },
  test: {
    name: 'hardening',
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One fault suite at a time: their timings (outage windows, RSS, 5xx under load) must
    // not be skewed by each other on a small machine.
    fileParallelism: false,
  },
});
