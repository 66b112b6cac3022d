import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@tessera/source'] },
  ssr: { resolve: { conditions: ['@tessera/source'] } },
  test: {
    name: 'postgres',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // PGlite boots a wasm Postgres per suite: seconds on a busy machine.
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // One PGlite wasm compile per worker instead of per file.
    isolate: false,
  },
});
