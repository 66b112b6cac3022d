/**
 * The demo (apps/demo/src/main.ts) as a child process, exactly as `pnpm start` runs it but
 * on a free port and with the environment given: its RSS can then be read from /proc and a
 * crash is an exit, not a test-runner failure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '@tessera/test-support';

export interface DemoProcess {
  readonly url: string;
  readonly pid: number;
  /** Everything the demo wrote to stdout and stderr. */
  output(): string;
  /** Exit code or signal if it exited, else null. */
  exited(): string | null;
  stop(): Promise<void>;
}

const DEMO_DIR = fileURLToPath(new URL('../../demo/', import.meta.url));

export async function startDemoProcess(env: Record<string, string>): Promise<DemoProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=@tessera/source', '--import', 'tsx', 'src/main.ts'],
    { cwd: DEMO_DIR, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const kill = () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL');
  process.once('exit', kill);
  let out = '';
  let exit: string | null = null;
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  child.once('exit', (code, signal) => (exit = `${code ?? signal}`));
  const deadline = Date.now() + 30_000;
  while (!/tessera demo: /.test(out)) {
    if (exit !== null) throw new Error(`[hardening] the demo exited (${exit}) before listening:\n${out}`);
    if (Date.now() > deadline) {
      kill();
      throw new Error(`[hardening] the demo did not start within 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    output: () => out,
    exited: () => exit,
    stop: async () => {
      process.removeListener('exit', kill);
      if (exit !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(kill, 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Resident set size of a process, in KiB, from /proc/<pid>/status (Linux). */
export function rssKiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
