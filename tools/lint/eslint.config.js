// The one lint rule Biome cannot enforce here: no floating promises. Biome's
// nursery/noFloatingPromises infers types itself and does not follow the `@tessera/source`
// export condition (a workspace package's types are invisible until it is built) nor the
// types of node_modules packages, so `rs.commit()` or `pool.end()` without `await` passes it.
// typescript-eslint asks the TypeScript compiler, through each file's own tsconfig.json.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export default [
  // Build output (Next.js' .next holds bundled JavaScript): not ours to lint.
  { ignores: ['**/.next/**', '**/dist/**'] },
  {
    // Exactly the TypeScript the packages' tsconfig.json files include.
    files: [
      'packages/*/src/**/*.ts',
      'packages/*/test/**/*.ts',
      'apps/*/src/**/*.ts',
      'apps/*/test/**/*.ts',
      // The example apps (Next.js: app/ and lib/, not its .next build output).
      'apps/examples/*/{app,lib,test}/**/*.{ts,tsx}',
    ],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
];
