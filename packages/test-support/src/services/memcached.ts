/**
 * Throwaway memcached servers for tests: `startMemcached()` runs one on a free loopback port
 * (or hands out `MEMCACHED_SERVERS` entries when that variable is set) and can stop and
 * restart it on the same port, to test outages and recovery.
 */
import type { ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { findBinary, freePort, spawnService, waitFor } from './common.js';

export interface MemcachedServer {
  /** `127.0.0.1:PORT`. */
  readonly server: string;
  /** Kill the process (no-op for an external server). */
  stop(): Promise<void>;
  /** Start it again on the same port (no-op for an external server). */
  start(): Promise<void>;
}

/** `MEMCACHED_SERVERS` split on commas, or undefined. */
export function externalMemcachedServers(): string[] | undefined {
  const list = process.env.MEMCACHED_SERVERS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list && list.length > 0 ? list : undefined;
}

/** True when tests can get a memcached: a binary on PATH or `MEMCACHED_SERVERS`. */
export function memcachedAvailable(): boolean {
  return externalMemcachedServers() !== undefined || findBinary('memcached') !== undefined;
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('mn\r\n'));
    socket.once('data', (d) => done(d.toString().startsWith('MN')));
  });
}

/**
 * Start a memcached on a free loopback port. With `MEMCACHED_SERVERS` set, returns its
 * `index`-th entry instead and `stop`/`start` do nothing (outage tests should skip then).
 */
export async function startMemcached(
  options: { index?: number; memoryMb?: number } = {},
): Promise<MemcachedServer> {
  const external = externalMemcachedServers();
  if (external) {
    const server = external[(options.index ?? 0) % external.length]!;
    return { server, stop: async () => {}, start: async () => {} };
  }
  const binary = findBinary('memcached');
  if (!binary) throw new Error('[tessera] memcached binary not found (apt-get install memcached)');
  const port = await freePort();
  let child: ChildProcess | undefined;
  // exitCode stays null for a process killed by a signal: track the exit ourselves.
  let running = false;
  const args = ['-p', String(port), '-U', '0', '-l', '127.0.0.1', '-m', String(options.memoryMb ?? 64)];
  if (process.getuid?.() === 0) args.push('-u', 'root');
  const start = async () => {
    if (running) return;
    child = spawnService(binary, args);
    running = true;
    child.once('exit', () => {
      running = false;
    });
    await waitFor(() => answers('127.0.0.1', port), 10_000, `memcached on port ${port}`);
  };
  const stop = async () => {
    const c = child;
    if (!c || !running) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  };
  await start();
  return { server: `127.0.0.1:${port}`, stop, start };
}
