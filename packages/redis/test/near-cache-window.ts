/**
 * The revocation window across processes: process A (here, no near cache) revokes a
 * session that process B (near-cache-peer.ts, a child process with the cache on) is
 * serving from its cache; the window is how long after A's revoke call returned B still
 * accepted the session (0 when B had already refused it). Used by the CI test (a few
 * hundred revocations) and by `pnpm --filter @tessera/session-redis measure:near-cache`
 * (10,000).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { storedSession } from '@tessera/session-testing';
import { FAIL_FAST_OPTIONS } from '@tessera/test-support';
import { Redis } from 'ioredis';
import { redisStore } from '../src/index.js';

const TAG_SECRET = 'near-cache-window-tag-secret-0123456789ab';

export interface WindowReport {
  readonly count: number;
  /** ms, sorted ascending: how long B accepted the session after A's revoke returned. */
  readonly windows: readonly number[];
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** How many revocations B had refused by the time A's call returned. */
  readonly refusedBeforeReturn: number;
}

type Message =
  | { type: 'ready' | 'cached' }
  | { type: 'refused'; lastAccepted: string; refusedAt: string }
  | { type: 'error'; message: string };

export async function measureRevocationWindow(url: string, count: number): Promise<WindowReport> {
  const peer = fork(fileURLToPath(new URL('./near-cache-peer.ts', import.meta.url)), [url, TAG_SECRET], {
    execArgv: ['--conditions=@tessera/source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const inbox: Message[] = [];
  let waiting: ((m: Message) => void) | undefined;
  peer.on('message', (m: Message) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(m);
    } else inbox.push(m);
  });
  const next = (type: Message['type']): Promise<Message> =>
    new Promise((resolve, reject) => {
      const settle = (m: Message) => {
        clearTimeout(timer);
        if (m.type === 'error') reject(new Error(m.message));
        else if (m.type !== type) reject(new Error(`expected ${type}, got ${m.type}`));
        else resolve(m);
      };
      const timer = setTimeout(() => reject(new Error(`no '${type}' from the peer within 10 s`)), 10_000);
      const queued = inbox.shift();
      if (queued) settle(queued);
      else waiting = settle;
    });

  const redis = new Redis(url, FAIL_FAST_OPTIONS);
  const store = redisStore({ client: redis, tagSecret: TAG_SECRET });
  const windows: number[] = [];
  let refusedBeforeReturn = 0;
  try {
    await next('ready');
    for (let i = 0; i < count; i++) {
      const userId = `window-${i}`;
      const now = Date.now();
      const key = { id: `${i.toString(36).padStart(8, '0')}${'x'.repeat(35)}`, tag: store.shardTag!(userId) };
      const session = storedSession({ userId, now });
      await store.rotate({ now, from: null, to: { key, session }, limit: { max: 10, onLimit: 'reject' } });
      peer.send({ type: 'watch', key });
      await next('cached');
      await store.revokeUserSessions(userId, { now });
      const returned = process.hrtime.bigint();
      const m = (await next('refused')) as Extract<Message, { type: 'refused' }>;
      const late = Number(BigInt(m.lastAccepted) - returned) / 1e6;
      if (BigInt(m.refusedAt) <= returned) refusedBeforeReturn++;
      windows.push(Math.max(0, late));
    }
  } finally {
    peer.send({ type: 'stop' });
    await new Promise((resolve) => peer.once('exit', resolve));
    redis.disconnect();
  }
  windows.sort((a, b) => a - b);
  const at = (q: number) => windows[Math.min(windows.length - 1, Math.floor(q * windows.length))] ?? 0;
  return { count, windows, p50: at(0.5), p99: at(0.99), max: windows.at(-1) ?? 0, refusedBeforeReturn };
}
