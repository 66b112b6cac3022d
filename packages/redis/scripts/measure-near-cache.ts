/**
 * The revocation window with the near cache on, over 10,000 revocations (or argv[2]): a
 * throwaway redis-server, process A revoking, process B (a child) serving from its cache.
 * Prints p50/p99/max next to the bound (maxStalenessMs). Not a benchmark: a correctness figure.
 */
import { startRedis } from '@tessera/test-support';
import { NEAR_CACHE_DEFAULTS } from '../src/index.js';
import { measureRevocationWindow } from '../test/near-cache-window.js';

const count = Number(process.argv[2] ?? 10_000);
const server = await startRedis();
try {
  const r = await measureRevocationWindow(server.url, count);
  console.log(
    `revocations: ${r.count}\n` +
      `window after A's revoke returned: p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms, max ${r.max.toFixed(3)} ms\n` +
      `refused by B before A's call returned: ${r.refusedBeforeReturn}\n` +
      `bound (maxStalenessMs): ${NEAR_CACHE_DEFAULTS.maxStalenessMs} ms`,
  );
} finally {
  await server.stop();
}
