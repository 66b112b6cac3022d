/**
 * Throwaway Redis servers for tests: a standalone `redis-server` on a free port (restartable
 * on the same port, for outage tests) and a local Cluster of 3 masters + 3 replicas.
 * Nothing is persisted (`--save '' --appendonly no`); temporary directories are removed.
 */
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, freePort, spawnService, waitFor } from './common.js';

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** Stop the process (SIGKILL: an abrupt outage, no final save). Idempotent. */
  stop(): Promise<void>;
  /** Start it again on the same port: empty, or from its AOF when `persistent`. */
  start(): Promise<void>;
  /** Stop and remove its data directory (persistent servers). */
  dispose(): Promise<void>;
}

export interface StartRedisOptions {
  /** Append-only file with `appendfsync always` in a temporary directory, reloaded by `start()`. @default false */
  readonly persistent?: boolean;
  /** Start as a replica of the server on this local port. @default undefined */
  readonly replicaOf?: number;
}

export interface RedisCluster {
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  stop(): Promise<void>;
}

/** Whether the binaries these helpers need are on PATH. */
export function redisAvailable(cluster = false): boolean {
  return Boolean(findBinary('redis-server') && (!cluster || findBinary('redis-cli')));
}

/** Send one inline command and read until `done` says the reply is complete. */
export function redisCommand(port: number, command: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis ${port}: no reply to ${command}`));
    }, timeoutMs);
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      const m = /^\$(\d+)\r\n/.exec(buf);
      if (
        (m && buf.length >= m[0].length + Number(m[1]) + 2) ||
        (!m && buf.endsWith('\r\n') && buf[0] !== '$')
      ) {
        clearTimeout(timer);
        socket.end();
        resolve(m ? buf.slice(m[0].length, m[0].length + Number(m[1])) : buf.trim());
      }
    });
    socket.write(`${command}\r\n`);
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

async function spawnRedis(port: number, extra: readonly string[] = []): Promise<ChildProcess> {
  const bin = findBinary('redis-server');
  if (!bin) throw new Error('[tessera] redis-server is not on PATH');
  // Later arguments win, so `extra` can turn persistence on.
  const child = spawnService(bin, [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    ...extra,
  ]);
  let failed = false;
  child.once('exit', () => {
    failed = true;
  });
  await waitFor(
    async () => {
      if (failed) throw new Error('exited');
      return (await redisCommand(port, 'PING', 500)) === '+PONG';
    },
    10_000,
    `redis-server on port ${port}`,
  );
  return child;
}

/** A standalone server on a free port (optionally persistent, or a replica). */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = options.persistent ? mkdtempSync(join(tmpdir(), 'tessera-redis-aof-')) : undefined;
  const extra = [
    ...(dir ? ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always'] : []),
    ...(options.replicaOf !== undefined ? ['--replicaof', '127.0.0.1', String(options.replicaOf)] : []),
  ];
  let child: ChildProcess | undefined = await spawnRedis(port, extra);
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c) return;
    c.kill('SIGKILL');
    await exited(c);
  };
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    async start() {
      if (!child) child = await spawnRedis(port, extra);
    },
    async dispose() {
      await stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Every node on these ports is a master, or a replica whose link to its master is up (its
 * first sync done). For after a cluster start or a failover.
 */
export async function replicasInSync(ports: readonly number[], timeoutMs = 20_000): Promise<void> {
  for (const port of ports) {
    await waitFor(
      async () => {
        const info = await redisCommand(port, 'INFO replication');
        return info.includes('role:master') || info.includes('master_link_status:up');
      },
      timeoutMs,
      `replica on ${port} in sync`,
    );
  }
}

/**
 * 3 masters + 3 replicas on free ports. Returns once every node says `cluster_state:ok` and
 * every replica has finished its first sync.
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  const cli = findBinary('redis-cli');
  if (!cli) throw new Error('[tessera] redis-cli is not on PATH');
  const dir = mkdtempSync(join(tmpdir(), 'tessera-redis-cluster-'));
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const c of children.splice(0)) {
      c.kill('SIGKILL');
      await exited(c);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    while (ports.length < 6) {
      const p = await freePort();
      if (!ports.includes(p)) ports.push(p);
    }
    for (const port of ports) {
      children.push(
        await spawnRedis(port, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '2000',
          '--dir',
          dir,
        ]),
      );
    }
    await new Promise<void>((resolve, reject) => {
      execFile(
        cli,
        [
          '--cluster',
          'create',
          ...ports.map((p) => `127.0.0.1:${p}`),
          '--cluster-replicas',
          '1',
          '--cluster-yes',
        ],
        { timeout: 30_000 },
        (error, _stdout, stderr) =>
          error ? reject(new Error(`redis-cli --cluster create failed: ${stderr}`)) : resolve(),
      );
    });
    for (const port of ports) {
      await waitFor(
        async () => (await redisCommand(port, 'CLUSTER INFO')).includes('cluster_state:ok'),
        20_000,
        `cluster_state:ok on ${port}`,
      );
    }
    // Until each replica's first sync is done, WAIT answers 0 and a failover has nothing to promote.
    await replicasInSync(ports);
    return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
