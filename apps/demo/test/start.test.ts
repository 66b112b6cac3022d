/**
 * `pnpm start`: the package's start script, run as a child process (its command line read from
 * package.json, so the two cannot drift), prints exactly one start line and serves `/`; with
 * SESSION_STORE=pglite a session survives a restart.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { readConfig } from '../src/config.js';
import { Client } from './demo.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const script = (
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
).scripts.start;
const [bin, ...args] = script.split(' ');

interface Started {
  readonly line: string;
  /** The served URL on 127.0.0.1 (the line says localhost). */
  readonly base: string;
  output(): { stdout: string; stderr: string };
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
afterAll(async () => {
  for (const child of running) child.kill('SIGKILL');
});

async function startMain(env: Record<string, string>): Promise<Started> {
  expect(bin).toBe('tsx');
  const child = spawn(join(root, 'node_modules/.bin/tsx'), args, {
    cwd: root,
    // NODE_ENV unset, as in a shell: vitest's own NODE_ENV=test must not leak into the demo.
    env: {
      ...process.env,
      NODE_ENV: '',
      DEMO_FRAMEWORK: '',
      DEMO_NEST_PLATFORM: '',
      SESSION_STORE: '',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d));
  child.stderr?.on('data', (d: Buffer) => (stderr += d));
  const deadline = Date.now() + 45_000; // PGlite's first start creates its database (~10 s)
  while (!stdout.includes('\n') && child.exitCode === null && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const port = /url=http:\/\/localhost:(\d+)\n/.exec(stdout)?.[1];
  expect(port, `start output: ${JSON.stringify(stdout)} ${stderr}`).toBeTruthy();
  return {
    line: stdout,
    base: `http://127.0.0.1:${port}`,
    output: () => ({ stdout, stderr }),
    stop: async () => {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM'); // tsx passes it on; main.ts closes the app and the store
      await Promise.race([exited, new Promise((done) => setTimeout(done, 10_000))]);
      expect(child.exitCode, `exit after SIGTERM; stderr: ${stderr}`).toBe(0);
      running.delete(child);
    },
  };
}

it('pnpm start logs one line (framework, store, NODE_ENV=production by default, URL) and serves the login page', async () => {
  const main = await startMain({});
  expect(main.line).toMatch(
    /^tessera demo: framework=hono store=memory env=production url=http:\/\/localhost:\d+\n$/,
  );
  const res = await fetch(`${main.base}/`);
  expect(res.status).toBe(200);
  expect(await res.text()).toContain('Sign in');
  await main.stop();
  // Still that one line: in production mode the memory store does not warn either (stores.ts).
  expect(main.output()).toEqual({ stdout: main.line, stderr: '' });
});

it('DEMO_FRAMEWORK=nestjs DEMO_NEST_PLATFORM=fastify runs Nest on Fastify and serves the API (issue #17)', async () => {
  const main = await startMain({ DEMO_FRAMEWORK: 'nestjs', DEMO_NEST_PLATFORM: 'fastify' });
  expect(main.line).toMatch(
    /^tessera demo: framework=nestjs platform=fastify store=memory env=production url=/,
  );
  const c = new Client(main.base);
  expect((await c.login('alice', 'wonderland')).status).toBe(200);
  expect(await c.state()).toMatchObject({ authenticated: true, userId: 'alice' });
  // Fastify answering, not Express: Nest's Express platform tags every JSON reply with a weak ETag.
  expect((await c.send('GET', '/api/session')).headers.get('etag')).toBeNull();
  await main.stop();
  expect(main.output().stderr).toBe('');
}, 60_000);

it('a DEMO_NEST_PLATFORM Nest does not have stops the start with a message that names it', () => {
  expect(readConfig({}).nestPlatform).toBe('express');
  expect(() => readConfig({ DEMO_NEST_PLATFORM: 'koa' })).toThrow(
    /DEMO_NEST_PLATFORM must be one of express, fastify; got "koa"/,
  );
});

it('SESSION_STORE=pglite keeps a session across a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-demo-pglite-'));
  try {
    // A folder that does not exist yet, as .data/pglite on a fresh clone.
    const folder = join(dir, '.data', 'pglite');
    const env = {
      SESSION_STORE: 'pglite',
      PGLITE_DIR: folder,
      DEMO_FRAMEWORK: 'koa',
      NODE_ENV: 'development',
    };
    const first = await startMain(env);
    expect(first.line).toContain(`framework=koa store=pglite (${folder}) env=development url=`);
    const device = new Client(first.base);
    expect((await device.login('bob', 'builder')).status).toBe(200);
    await first.stop();

    const second = await startMain(env);
    const again = new Client(second.base);
    for (const [name, value] of device.jar) again.jar.set(name, value);
    expect(await again.state()).toMatchObject({ authenticated: true, userId: 'bob' });
    await second.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
