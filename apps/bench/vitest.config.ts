import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@tessera/source'] },
  ssr: { resolve: { conditions: ['@tessera/source'] } },
  test: { name: 'bench', include: ['test/**/*.test.ts'], testTimeout: 20_000, hookTimeout: 20_000 },
});
