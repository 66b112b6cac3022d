import type { SessionKey } from '@tessera/session-core';
import {
  type MemcachedServer,
  memcachedAvailable,
  serviceMissing,
  startMemcached,
} from '@tessera/test-support';
import type { MemcachedStore } from '../src/index.js';

/** True (skip) when no memcached can be had; throws under CI=true. Evaluated once per file. */
export const noMemcached = !memcachedAvailable() && serviceMissing('memcached', 'apt-get install memcached');

/** The `tagSecret` of multi-server test stores (several servers need one). */
export const TAG_SECRET = 'memcached-tests-tag-secret-0123456789';

/** True when MEMCACHED_SERVERS points at servers the tests cannot stop. */
export const externalServers = Boolean(process.env.MEMCACHED_SERVERS);

export async function startServers(n: number): Promise<MemcachedServer[]> {
  return Promise.all(Array.from({ length: n }, (_, index) => startMemcached({ index })));
}

/** Write undecodable bytes where the store keeps `key`. */
export async function writeCorrupt(
  store: MemcachedStore,
  key: SessionKey,
  text = '{"version":2',
): Promise<void> {
  const data = Buffer.from(text);
  const [r] = await store.client.exec(store.client.serverFor(key.tag || key.id), [
    { line: `ms tessera:s:${key.id} ${data.length} T60`, data },
  ]);
  if (r?.code !== 'HD') throw new Error(`corrupt write failed: ${r?.code}`);
}
