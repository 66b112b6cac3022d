import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // The pnpm workspace's root: the Tessera packages are linked from there (an app installed
  // from the registry needs no `turbopack` option at all).
  turbopack: { root: fileURLToPath(new URL('../../..', import.meta.url)) },
  // `pnpm typecheck` (next typegen && tsc) checks the app; the build need not do it twice.
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
};

export default nextConfig;
