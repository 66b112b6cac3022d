import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The kit's self-test runs this config in a child vitest (see kit-self-test.test.ts); the
// package's own project never picks these files up (they do not end in .test.ts).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { conditions: ['@tessera/source'] },
  ssr: { resolve: { conditions: ['@tessera/source'] } },
  test: { include: ['broken.contract.ts'], testTimeout: 20_000 },
});
