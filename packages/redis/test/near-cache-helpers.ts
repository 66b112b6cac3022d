/**
 * Near-cache test wiring. Round trips are counted on the server (INFO commandstats, read on
 * a connection of the test's own), never assumed: a cached read must leave the counts alone.
 */
import type { SessionKey, SessionStore } from '@tessera/session-core';
import type { Cluster, Redis } from 'ioredis';

/** Round trips of the store's kinds the server has run (EVALSHA + EVAL + HGETALL, a read), over every node given. */
export async function scriptCalls(nodes: readonly Redis[]): Promise<number> {
  let total = 0;
  for (const node of nodes) {
    const info = String(await node.info('commandstats'));
    for (const m of info.matchAll(/^cmdstat_(?:evalsha|eval|hgetall):calls=(\d+)/gm)) total += Number(m[1]);
  }
  return total;
}

/** How many round trips (scripts and reads) `work` made the server(s) run. */
export async function tripsOf(nodes: readonly Redis[], work: () => Promise<unknown>): Promise<number> {
  const before = await scriptCalls(nodes);
  await work();
  return (await scriptCalls(nodes)) - before;
}

export const MIN = 60_000;

/**
 * Load until a load is served from the near cache (no command ran): the channel is up and
 * the entry is in. A first read can be refused a place in the cache by an invalidation
 * that raced it (the write that created the session, for one), so this may take a few.
 */
export async function untilCached(
  nodes: readonly Redis[],
  store: SessionStore,
  key: SessionKey,
  now = Date.now(),
): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if ((await tripsOf(nodes, () => store.load(key, { now, touchIntervalMs: MIN }))) === 0) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the near cache never served this key (invalidation channel not up?)');
}

/** The server-side names of the store's invalidation connections. */
export async function nearCacheClients(node: Redis | Cluster): Promise<string[]> {
  const list = String(await (node as Redis).client('LIST'));
  return list
    .split('\n')
    .filter((line) => / name=tessera-near-cache /.test(line))
    .map((line) => /^id=(\d+)/.exec(line)?.[1] ?? '');
}
