/**
 * Redis killed (SIGKILL) during load and restarted on the same port about 1 s later, with
 * persistence on (AOF, fsync always). Asserted: every failure is a 503
 * `{ error: 'session_store_unavailable' }` and happened during the outage (answered after
 * the kill, sent before recovery + a reconnect bound); no 500, no crash; every session
 * written before the outage still works afterwards with its counter intact; new logins work.
 * On both clients, each configured as the store's README recommends.
 */
import { redisStore } from '@tessera/session-redis';
import { type RedisServer, redisAvailable, serviceMissing, startRedis } from '@tessera/test-support';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultApp, startFaultApp } from '../src/fault-app.js';
import { Device } from '../src/http.js';
import { classify, expectFailClosed, expectSessionsIntact, outageFigures, runOutage } from '../src/outage.js';
import { report } from '../src/results.js';

const CLIENTS = 20;
/**
 * After the restart the client reconnects within its retry delay (100 ms); a request already
 * waiting may still time out (500 ms). 2.5 s leaves room for a loaded machine.
 */
const RECOVERY_MS = 2500;

const noRedis = !redisAvailable() && serviceMissing('redis-server', 'install redis-server (Redis 7) on PATH');

/** A connected client of `kind` as the store's README recommends, retrying every 100 ms. */
async function connect(kind: 'ioredis' | 'node-redis', url: string) {
  if (kind === 'ioredis') {
    const client = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 1000,
      autoResendUnfulfilledCommands: false,
      retryStrategy: () => 100,
    });
    client.on('error', () => {});
    return { client, close: () => client.disconnect() };
  }
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 1000, reconnectStrategy: () => 100 },
  });
  client.on('error', () => {});
  await client.connect();
  return { client, close: () => client.isOpen && client.destroy() };
}

for (const kind of ['ioredis', 'node-redis'] as const)
  describe.skipIf(noRedis)(`Redis killed mid-load and restarted (AOF on), on ${kind}`, () => {
    let redis: RedisServer;
    let conn: Awaited<ReturnType<typeof connect>>;
    let app: FaultApp;
    beforeAll(async () => {
      redis = await startRedis({ persistent: true });
      conn = await connect(kind, redis.url);
      app = await startFaultApp({ store: redisStore({ client: conn.client, timeoutMs: 500 }) });
    }, 30_000);
    afterAll(async () => {
      await app?.close();
      conn?.close();
      await redis?.dispose();
    });

    it('503 only during the outage, no 500, no crash; sessions and counters survive; logins work after', async () => {
      const run = await runOutage(app, {
        clients: CLIENTS,
        down: () => redis.stop(),
        up: () => redis.start(),
      });
      const c = classify(run, RECOVERY_MS);
      // Every session written before the outage is still signed in, and its counter holds every
      // acknowledged increment (a failed one may have landed too: the kill can lose the reply
      // of a write that was already in the AOF).
      await expectSessionsIntact(run);
      for (const [i, d] of run.devices.entries()) {
        expect(((await d.send('GET', '/state')).body as { userId: string }).userId).toBe(`user-${i}`);
      }
      const fresh = new Device(app.url);
      expect((await fresh.send('POST', '/login', { userId: 'after-outage' })).status).toBe(200);
      expect(((await fresh.send('GET', '/state')).body as { authenticated: boolean }).authenticated).toBe(
        true,
      );
      report(kind === 'ioredis' ? 'redis-outage' : 'redis-outage-node-redis', {
        ...outageFigures(run, c, CLIENTS, app.crashes.length),
        sessionsIntactAfter: CLIENTS,
      });
      expectFailClosed(c, app, CLIENTS);
    });
  });
