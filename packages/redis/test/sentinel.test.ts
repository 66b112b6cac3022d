/**
 * node-redis' `createSentinel()` against a real Sentinel (redis-server --sentinel) watching a
 * master with one replica: the store on the Sentinel shape, and `durability` whose WAIT
 * goes on the leased master connection that ran the script.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionStore } from '@tessera/session-core';
import { keyFor, storedSession } from '@tessera/session-testing';
import {
  freePort,
  type RedisServer,
  redisCommand,
  spawnService,
  startRedis,
  waitFor,
} from '@tessera/test-support';
import { createSentinel } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore } from '../src/index.js';
import { noRedis } from './helpers.js';

const MIN = 60_000;

describe.skipIf(noRedis)('node-redis createSentinel() (master + replica + one sentinel)', () => {
  let master: RedisServer;
  let replica: RedisServer;
  let stopSentinel: () => void;
  let dir: string;
  let sentinel: ReturnType<typeof createSentinel>;

  beforeAll(async () => {
    master = await startRedis();
    replica = await startRedis({ replicaOf: master.port });
    await waitFor(
      async () => (await redisCommand(replica.port, 'INFO replication')).includes('master_link_status:up'),
      15_000,
      'replica link up',
    );
    const port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'tessera-sentinel-'));
    const conf = join(dir, 'sentinel.conf');
    // Sentinel rewrites its configuration file: it must be its own, writable.
    writeFileSync(
      conf,
      `port ${port}\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 ${master.port} 1\n`,
    );
    const child = spawnService('redis-server', [conf, '--sentinel']);
    stopSentinel = () => child.kill('SIGKILL');
    await waitFor(
      async () => (await redisCommand(port, 'SENTINEL replicas mymaster')).includes(String(replica.port)),
      15_000,
      'sentinel to see the replica',
    );
    sentinel = createSentinel({ name: 'mymaster', sentinelRootNodes: [{ host: '127.0.0.1', port }] });
    sentinel.on('error', () => {});
    await sentinel.connect();
  }, 40_000);

  afterAll(async () => {
    if (sentinel?.isOpen) await sentinel.destroy();
    stopSentinel?.();
    await replica?.stop();
    await master?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const login = (store: SessionStore, userId: string) => {
    const now = Date.now();
    const key = keyFor(store, userId);
    return store
      .rotate({
        now,
        from: null,
        to: { key, session: storedSession({ userId, now }) },
        limit: { max: 5, onLimit: 'evict-oldest' },
      })
      .then((result) => ({ key, result, now }));
  };

  it('reads and writes through the master the sentinel names', async () => {
    const store = redisStore({ client: sentinel });
    const { key, result, now } = await login(store, 'sentinel-user');
    expect(result.status).toBe('ok');
    expect((await store.load(key, { now, touchIntervalMs: MIN })).status).toBe('found');
    expect(await store.update(key, { set: { a: '1' }, unset: [] }, { now })).toBe('ok');
    expect((await store.listUserSessions('sentinel-user', { now })).map((s) => s.key.id)).toEqual([key.id]);
    expect(
      Number(
        await redisCommand(master.port, `EXISTS tessera:{${key.tag}}s:${key.id}`).then((r) => r.slice(1)),
      ),
    ).toBe(1);
  });

  it('durability { replicas: 1 }: acknowledged by the replica, which has the session on return', async () => {
    const shortfalls: unknown[] = [];
    const store = redisStore({
      client: sentinel,
      durability: { replicas: 1, timeoutMs: 1000, onShortfall: (s) => shortfalls.push(s) },
    });
    for (let i = 0; i < 3; i++) {
      const { key, result } = await login(store, `durable-${i}`);
      expect(result.status).toBe('ok');
      const onReplica = await redisCommand(replica.port, `EXISTS tessera:{${key.tag}}s:${key.id}`);
      expect(onReplica).toMatch(/^:1/);
    }
    expect(shortfalls).toEqual([]);
  });
});
