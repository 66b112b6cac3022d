/**
 * A throwaway redis-server WITH persistence (`--appendonly yes --appendfsync always` in a
 * temporary directory): `kill()` is SIGKILL (no shutdown, no final save), `start()` brings
 * it back on the same port from its AOF. `startRedis()` from the testing kit runs without
 * persistence and has no options, hence this helper.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, freePort, redisCommand, spawnService, waitFor } from '@tessera/session-testing';

export interface PersistentRedis {
  readonly port: number;
  readonly url: string;
  /** SIGKILL, and wait for the exit. Idempotent. */
  kill(): Promise<void>;
  /** Start again on the same port; resolves once it answers PING (AOF loaded). */
  start(): Promise<void>;
  /** Kill and remove the data directory. */
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startPersistentRedis(): Promise<PersistentRedis> {
  const bin = findBinary('redis-server');
  if (!bin) throw new Error('[hardening] redis-server is not on PATH');
  const dir = mkdtempSync(join(tmpdir(), 'tessera-redis-aof-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    if (child) return;
    const c = spawnService(bin, [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
    ]);
    child = c;
    await waitFor(
      async () => {
        if (c.exitCode !== null || c.signalCode !== null) throw new Error('exited');
        return (await redisCommand(port, 'PING', 500)) === '+PONG';
      },
      10_000,
      `redis-server (AOF) on port ${port}`,
    );
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c) return;
    c.kill('SIGKILL');
    await exited(c);
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
