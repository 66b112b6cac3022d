/**
 * Helpers for suites that need a real service (Redis, Postgres, Memcached).
 * Without the service a suite is skipped with a loud line naming what is missing;
 * under CI=true a missing service is a failure, never a skip.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

export const isCI = process.env.CI === 'true' || process.env.CI === '1';

/**
 * Report a missing service. Returns true (meaning "skip") outside CI; throws under CI.
 * Use as `describe.skipIf(serviceMissing('redis-server', 'install redis-server'))`.
 */
export function serviceMissing(what: string, hint: string): boolean {
  const line = `\n!!! SKIPPED: ${what} is not available (${hint}). Under CI=true this fails the run.\n`;
  if (isCI) throw new Error(`[tessera] required test service missing under CI: ${what} (${hint})`);
  process.stderr.write(line);
  return true;
}

/** Absolute path of an executable on PATH (or common sbin dirs), or undefined. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Spawn a child process that is killed when the test process exits. */
export function spawnService(command: string, args: readonly string[]): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  child.once('exit', () => process.removeListener('exit', kill));
  return child;
}

/** Poll `check` until it resolves true, or throw after `timeoutMs`. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
  what = 'service',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {}
    if (Date.now() > deadline)
      throw new Error(`[tessera] timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
