import { defineConfig } from 'vitest/config';

// One project per package (and per example app under apps/examples): each package's own vitest.config.ts names it and resolves
// workspace packages to their `src` through the `@tessera/source` export condition.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'apps/examples/*'],
  },
});
