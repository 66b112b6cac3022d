/**
 * Process B of the two-process revocation test (run by near-cache-window.ts with node +
 * tsx): a store with the near cache on, driven over IPC. For each key it is told to watch,
 * it reads until a read is served from the cache (its count of commands, from a counting
 * wrapper of the real client, stays put), says so, then reads once per event-loop turn,
 * as a busy server would, until a read refuses the session. It reports when it last
 * accepted it and when it first refused it (process.hrtime: CLOCK_MONOTONIC, one clock
 * for every process on the machine).
 */
import type { SessionKey } from '@tessera/session-core';
import { FAIL_FAST_OPTIONS } from '@tessera/test-support';
import { Redis } from 'ioredis';
import { redisStore } from '../src/index.js';

const [url, tagSecret] = process.argv.slice(2);
const real = new Redis(url!, FAIL_FAST_OPTIONS);
let commands = 0;
const counted = new Proxy(real, {
  get(target, prop) {
    const value = Reflect.get(target, prop, target);
    // A read is `call('HGETALL', ...)`; writes and touches are scripts.
    if (prop === 'evalsha' || prop === 'eval' || prop === 'call') {
      return (...args: unknown[]) => {
        commands++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    }
    return typeof value === 'function' ? value.bind(target) : value;
  },
});
const store = redisStore({ client: counted, tagSecret, nearCache: {} });
const FOREVER = 3_600_000;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function watch(key: SessionKey): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const before = commands;
    const r = await store.load(key, { now: Date.now(), touchIntervalMs: FOREVER });
    if (r.status !== 'found') throw new Error(`peer: session not found before revocation (${r.status})`);
    if (commands === before) break;
    if (Date.now() > deadline) throw new Error('peer: never served from the near cache');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  process.send?.({ type: 'cached' });
  let lastAccepted = process.hrtime.bigint();
  for (;;) {
    await turn();
    const at = process.hrtime.bigint();
    const r = await store.load(key, { now: Date.now(), touchIntervalMs: FOREVER });
    if (r.status === 'found') {
      lastAccepted = at;
      continue;
    }
    process.send?.({ type: 'refused', lastAccepted: String(lastAccepted), refusedAt: String(at) });
    return;
  }
}

process.on('message', (m: { type: string; key?: SessionKey }) => {
  if (m.type === 'watch' && m.key) {
    watch(m.key).catch((error: unknown) => {
      process.send?.({ type: 'error', message: String(error) });
    });
  } else if (m.type === 'stop') {
    void store.close?.().then(() => {
      real.disconnect();
      process.exit(0);
    });
  }
});
real.once('ready', () => process.send?.({ type: 'ready' }));
