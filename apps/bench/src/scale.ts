/**
 * Scale and memory checks on Redis: the read-only request with ~1,000 sessions and with
 * 1,000,000 more (bulk-loaded in Tessera's own key layout, cloned from real records the
 * store wrote), and MEMORY USAGE per small authenticated session, Tessera vs connect-redis.
 */
import type { Redis } from 'ioredis';

/**
 * Clone `count` sessions server-side from real records the store wrote: RESTORE of the
 * DUMP of one session hash (listpack, same fields and sizes) and of one user index, each
 * under its own key with a TTL, in the store's key layout (`tessera:{tag}s:<id>`,
 * `tessera:{tag}u:<user>`). RESTORE keeps the exact encoding, and is ~5× faster than
 * rebuilding each hash field by field, so 1,000,000 sessions load in well under a minute.
 */
const BULK = `
local prefix, start, n, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local session, index = ARGV[5], ARGV[6]
for i = start, start + n - 1 do
  local tag = string.format('%x', i % 1679616)
  local id = string.format('bulk%031d%08x', 0, i)
  redis.call('RESTORE', prefix .. '{' .. tag .. '}s:' .. id, ttl, session)
  redis.call('RESTORE', prefix .. '{' .. tag .. '}u:bulk-' .. i, ttl, index)
end
return n
`;

export async function bulkLoad(
  admin: Redis,
  sessionKey: string,
  indexKey: string,
  count: number,
  log: (s: string) => void,
): Promise<{ ms: number; bytesPerSession: number }> {
  const session = await admin.dumpBuffer(sessionKey);
  const index = await admin.dumpBuffer(indexKey);
  if (!session || !index) throw new Error(`[bench] nothing to clone at ${sessionKey} / ${indexKey}`);
  const before = await usedMemory(admin);
  const t0 = Date.now();
  const chunk = 50_000;
  const ttl = String(30 * 60_000);
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    await admin.eval(BULK, 0, 'tessera:', String(start), String(n), ttl, session, index);
    if ((start / chunk) % 5 === 4) log(`  bulk load: ${start + n} / ${count}`);
  }
  const ms = Date.now() - t0;
  const after = await usedMemory(admin);
  return { ms, bytesPerSession: Math.round((after - before) / count) };
}

export async function usedMemory(admin: Redis): Promise<number> {
  const info = await admin.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

/** Keys matching `pattern` (SCAN, bounded by `limit`). */
export async function sampleKeys(admin: Redis, pattern: string, limit: number): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  let rounds = 0;
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0' && out.length < limit && ++rounds < 10_000);
  return out.slice(0, limit);
}

/** Average MEMORY USAGE (SAMPLES 0: exact) over the keys. */
export async function averageMemoryUsage(admin: Redis, keys: readonly string[]): Promise<number | null> {
  if (keys.length === 0) return null;
  let sum = 0;
  for (const k of keys) sum += Number(await admin.call('MEMORY', 'USAGE', k, 'SAMPLES', '0'));
  return Math.round(sum / keys.length);
}
