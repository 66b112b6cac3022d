/**
 * vitest globalSetup: once per test run, the Tessera packages this app imports are built
 * (turbo, cached), the app is built with `next build`, and `next start` serves it on a free
 * port over a throwaway redis-server. Both test files share that one server (`inject('next')`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  type RedisServer,
  redisAvailable,
  serviceMissing,
  startRedis,
  waitFor,
} from '@tessera/test-support';
import type { TestProject } from 'vitest/node';

const APP = fileURLToPath(new URL('..', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const NEXT = fileURLToPath(new URL('../node_modules/.bin/next', import.meta.url));
// No telemetry, and no network at build time (the app uses no web fonts or remote images).
const ENV: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' };

export interface RunningNext {
  /** http://localhost:<port>: Chromium keeps `Secure` cookies on localhost over plain HTTP. */
  readonly url: string;
  /** Seconds spent: building the packages, `next build`, `next start` until it answered. */
  readonly seconds: { readonly packages: number; readonly build: number; readonly start: number };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The running app, or null when redis-server is missing (the suites skip). */
    next: RunningNext | null;
  }
}

function run(command: string, args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${output}`)),
    );
  });
}

async function timed(step: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await step();
  return Math.round((performance.now() - started) / 100) / 10;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!redisAvailable() && serviceMissing('redis-server', 'apt-get install redis-server')) {
    project.provide('next', null);
    return async () => {};
  }
  const packages = await timed(() =>
    run('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@tessera/example-next^...'], ROOT),
  );
  const build = await timed(() => run(NEXT, ['build'], APP));
  let redis: RedisServer | undefined;
  let server: ChildProcess | undefined;
  const stop = async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    await redis?.dispose();
  };
  try {
    redis = await startRedis();
    const port = await freePort();
    const url = `http://localhost:${port}`;
    const start = await timed(async () => {
      const env: NodeJS.ProcessEnv = { ...ENV, REDIS_URL: redis?.url };
      server = spawn(NEXT, ['start', '--hostname', '127.0.0.1', '--port', String(port)], {
        cwd: APP,
        env,
        stdio: ['ignore', 'ignore', 'inherit'], // its errors (and the store's log) stay visible
      });
      process.once('exit', () => server?.kill('SIGKILL')); // a crashed run leaves no server behind
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${port}/api/session`)).status === 200,
        30_000,
        'next start',
      );
    });
    const seconds = { packages, build, start };
    console.info(`[next] packages ${packages} s, next build ${build} s, next start ${start} s`);
    project.provide('next', { url, seconds });
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}
