/**
 * Child processes of the runner: contender servers and the load generator, each forked
 * with tsx and pinned to a core with `taskset` where it exists. Every wait is bounded.
 *
 * Tessera's packages are loaded from their built `dist` (what users install), not from
 * `src` through tsx: tsx compiles with esbuild's keepNames, which wraps every closure
 * created per request in a `__name()` call the published code does not have.
 * `BENCH_FROM_SOURCE=1` loads `src` instead (no build step; not for published figures).
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LoadJob, LoadResult } from './load.js';
import type { FromServer, ServerStats } from './server/main.js';

const here = dirname(fileURLToPath(import.meta.url));
export const APP_DIR = join(here, '..');

const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));

/** Pin a process (all its threads) to one CPU; a no-op without taskset or with one core. */
export function pin(pid: number | undefined, cpu: number): boolean {
  if (!TASKSET || pid === undefined) return false;
  try {
    execFileSync(TASKSET, ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const canPin = Boolean(TASKSET);

export const fromSource = process.env.BENCH_FROM_SOURCE === '1';

/** How a child is started beyond its file and environment. */
export interface ForkOptions {
  /** Extra Node/V8 flags for this child (after `BENCH_V8_FLAGS`). */
  readonly v8Flags?: readonly string[];
  /** Receives the child's stdout line by line (otherwise it goes to ours). */
  readonly onLine?: (line: string) => void;
}

function forkTs(file: string, env: Record<string, string>, options: ForkOptions = {}): ChildProcess {
  const child = fork(join(here, file), [], {
    cwd: APP_DIR,
    execArgv: [
      ...(fromSource ? ['--conditions=@tessera/source'] : []),
      // Experiment switch: Node/V8 flags for every server process (say, GC tracing).
      ...(process.env.BENCH_V8_FLAGS?.split(' ').filter(Boolean) ?? []),
      ...(options.v8Flags ?? []),
      '--import',
      'tsx',
    ],
    env: {
      ...process.env,
      TSX_TSCONFIG_PATH: join(APP_DIR, 'tsconfig.run.json'),
      NODE_ENV: 'production',
      ...env,
    },
    stdio: ['ignore', options.onLine ? 'pipe' : 'inherit', 'inherit', 'ipc'],
  });
  if (options.onLine && child.stdout) createInterface({ input: child.stdout }).on('line', options.onLine);
  return child;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`[bench] ${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export class ServerProcess {
  readonly #child: ChildProcess;
  #nextId = 0;
  port = 0;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  static async start(
    contender: string,
    env: Record<string, string>,
    cpu: number,
    options?: ForkOptions,
  ): Promise<ServerProcess> {
    const child = forkTs('server/main.ts', { ...env, BENCH_CONTENDER: contender }, options);
    const server = new ServerProcess(child);
    try {
      const msg = await withTimeout(
        new Promise<FromServer>((resolve, reject) => {
          child.once('message', (m: FromServer) => resolve(m));
          child.once('exit', (code) => reject(new Error(`[bench] ${contender} exited with ${code}`)));
        }),
        30_000,
        `${contender} start`,
      );
      if (msg.type === 'error') throw new Error(`[bench] ${contender} failed to start: ${msg.message}`);
      if (msg.type !== 'ready') throw new Error(`[bench] ${contender}: unexpected ${msg.type}`);
      server.port = msg.port;
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    pin(child.pid, cpu);
    return server;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  stats(): Promise<ServerStats> {
    const id = ++this.#nextId;
    return withTimeout(
      new Promise<ServerStats>((resolve) => {
        const on = (m: FromServer) => {
          if (m.type === 'stats' && m.id === id) {
            this.#child.off('message', on);
            resolve(m.stats);
          }
        };
        this.#child.on('message', on);
        this.#child.send({ type: 'stats', id });
      }),
      5_000,
      'server stats',
    );
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.send({ type: 'stop' });
    await withTimeout(exited, 5_000, 'server stop').catch(() => {
      child.kill('SIGKILL');
    });
  }
}

export class Loader {
  readonly #child: ChildProcess;
  #nextId = 0;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  static async start(cpu: number): Promise<Loader> {
    const child = forkTs('load.ts', {});
    await withTimeout(
      new Promise<void>((resolve) => child.once('message', () => resolve())),
      30_000,
      'load generator start',
    );
    pin(child.pid, cpu);
    return new Loader(child);
  }

  run(job: Omit<LoadJob, 'id'>): Promise<LoadResult> {
    const id = ++this.#nextId;
    return withTimeout(
      new Promise<LoadResult>((resolve, reject) => {
        const on = (m: { type: string; id?: number; result?: LoadResult; message?: string }) => {
          const mid = m.result?.id ?? m.id;
          if (mid !== id) return;
          this.#child.off('message', on);
          if (m.type === 'result' && m.result) resolve(m.result);
          else reject(new Error(`[bench] load: ${m.message}`));
        };
        this.#child.on('message', on);
        this.#child.send({ ...job, id });
      }),
      (job.durationSec + 20) * 1000,
      'load run',
    );
  }

  /** The load generator's process id (its CPU is read from /proc per phase). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  stop(): void {
    this.#child.kill('SIGTERM');
  }
}
