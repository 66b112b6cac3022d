/**
 * One session manager for the whole app, on Redis (REDIS_URL). Route handlers wrap themselves
 * with `withSession(handler, { manager })`; server components and server actions read through
 * `readSession(manager, await cookies(), …)`.
 */
import { createSessionManager, type SessionManager } from '@tessera/session-core';
import { redisStore } from '@tessera/session-redis';
import { Redis } from 'ioredis';

export type Data = { counter: number };

function create(): SessionManager<Data> {
  const client = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    // Connect on the first command, not when `next build` imports this module. The offline
    // queue stays on so the first requests wait for that connection; the manager's
    // storeTimeoutMs (2 s) still answers 503 while Redis is away.
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    commandTimeout: 1000,
  });
  client.on('error', () => {}); // reconnects by itself; requests see 503 meanwhile (and the log)
  return createSessionManager<Data>({ store: redisStore({ client }) });
}

// One per process, not one per bundle: Next compiles route handlers and pages into separate
// chunks, and two managers would disagree on the pre-session CSRF key (random per manager).
const shared = globalThis as typeof globalThis & { __tesseraManager?: SessionManager<Data> };
shared.__tesseraManager ??= create();
export const manager: SessionManager<Data> = shared.__tesseraManager;
