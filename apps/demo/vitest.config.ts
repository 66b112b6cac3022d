import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@tessera/source'] },
  ssr: { resolve: { conditions: ['@tessera/source'] } },
  test: { name: 'demo', include: ['test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 60_000 },
});
