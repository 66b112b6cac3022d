import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@tessera/source'] },
  ssr: { resolve: { conditions: ['@tessera/source'] } },
  test: { name: 'web', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
