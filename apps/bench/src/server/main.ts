/**
 * A contender's server process: `BENCH_CONTENDER` names it. It answers the runner over IPC:
 * `ready` with its port once listening, and `stats` (process CPU µs, client-side store
 * calls) on request, so CPU per request is measured inside the server, not guessed.
 */

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { contenderNamed } from '../contenders.js';
import { PhaseProfiler } from './profiler.js';
import { closeAll, counters, env } from './stores.js';

export interface ServerStats {
  /** User + system CPU of the server process, µs. */
  readonly cpuUs: number;
  /** The user part alone: what the server's own code (JS, V8, Node's C++) spent. */
  readonly userUs: number;
  readonly storeCalls: number;
  /** Requests the HTTP server received (exact, unlike the load generator's window). */
  readonly requests: number;
}

export type ToServer = { type: 'stats'; id: number } | { type: 'stop' };
export type FromServer =
  | { type: 'ready'; port: number }
  | { type: 'stats'; id: number; stats: ServerStats }
  | { type: 'error'; message: string };

function send(message: FromServer): void {
  process.send?.(message);
}

async function start(): Promise<Server> {
  const c = contenderNamed(env('BENCH_CONTENDER'));
  switch (c.framework) {
    case 'express':
      return (await import('./express.js')).expressApp(c);
    case 'koa':
      return (await import('./koa.js')).koaApp(c);
    case 'hono':
      return (await import('./hono.js')).honoApp(c);
    case 'fastify':
      return (await import('./fastify.js')).fastifyApp(c);
    case 'nestjs':
      return (await import('./nestjs.js')).nestApp(c);
  }
}

try {
  const server = await start();
  server.on('request', () => {
    counters.requests++;
  });
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  server.keepAliveTimeout = 30_000;
  const dir = process.env.BENCH_CPU_PROF;
  const profiler = dir ? new PhaseProfiler(dir, env('BENCH_CONTENDER')) : null;
  process.on('message', async (m: ToServer) => {
    if (m.type === 'stats') {
      // The runner asks before and after each measured phase: profile exactly that span
      // (started after, and stopped before, the CPU reading).
      if (profiler?.running) await profiler.toggle(counters.requests);
      const cpu = process.cpuUsage();
      if (profiler && !profiler.running) await profiler.toggle(counters.requests);
      send({
        type: 'stats',
        id: m.id,
        stats: {
          cpuUs: cpu.user + cpu.system,
          userUs: cpu.user,
          storeCalls: counters.storeCalls,
          requests: counters.requests,
        },
      });
    } else if (m.type === 'stop') {
      server.closeAllConnections?.();
      server.close();
      void closeAll().finally(() => process.exit(0));
      setTimeout(() => process.exit(0), 2000).unref();
    }
  });
  // The runner going away must not leave this process behind.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port: (server.address() as AddressInfo).port });
} catch (error) {
  send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}
