/**
 * The Postgres store (pg Pool) behind a TCP proxy to the real server in DATABASE_URL: the
 * proxy drops every connection mid-load and refuses new ones for ~1 s, then comes back on
 * the same port. Asserted: failures only during the cut, all 503 store_unavailable, no 500,
 * no crash; afterwards the sessions (kept by Postgres) work with their counters and new
 * logins succeed.
 */

import { migrate, postgresStore } from '@tessera/session-postgres';
import { createTestSchema, freePort, postgresMissing, postgresUrl } from '@tessera/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultApp, startFaultApp } from '../src/fault-app.js';
import { Device } from '../src/http.js';
import { classify, expectFailClosed, expectSessionsIntact, outageFigures, runOutage } from '../src/outage.js';
import { report } from '../src/results.js';
import { TcpProxy } from '../src/tcp-proxy.js';

const CLIENTS = 20;
/** pg's pool discards dead connections as they fail; recovery within a store timeout or two. */
const RECOVERY_MS = 2500;

describe.skipIf(postgresMissing())('Postgres connection dropped mid-load and restored', () => {
  let admin: pg.Pool;
  let pool: pg.Pool;
  let proxy: TcpProxy;
  let app: FaultApp;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const url = new URL(postgresUrl()!);
    admin = new pg.Pool({ connectionString: postgresUrl(), max: 2 });
    admin.on('error', () => {});
    const schema = await createTestSchema(admin, 'tessera_hardening');
    drop = schema.drop;
    await migrate(admin, { schema: schema.schema });
    proxy = new TcpProxy(await freePort(), { host: url.hostname, port: Number(url.port || 5432) });
    await proxy.restore();
    pool = new pg.Pool({
      host: '127.0.0.1',
      port: proxy.port,
      user: decodeURIComponent(url.username) || 'postgres',
      password: decodeURIComponent(url.password) || undefined,
      database: url.pathname.slice(1) || 'postgres',
      max: 10,
      connectionTimeoutMillis: 1000,
    });
    pool.on('error', () => {});
    app = await startFaultApp({
      store: postgresStore({ client: pool, schema: schema.schema, timeoutMs: 1000 }),
    });
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    await proxy?.cut();
    await pool?.end().catch(() => {});
    await drop?.().catch(() => {});
    await admin?.end();
  });

  it('503 during the cut only, no 500, no crash; sessions and counters intact after; logins work', async () => {
    const run = await runOutage(app, {
      clients: CLIENTS,
      down: () => proxy.cut(),
      up: () => proxy.restore(),
    });
    const c = classify(run, RECOVERY_MS);
    await expectSessionsIntact(run);
    const fresh = new Device(app.url);
    expect((await fresh.send('POST', '/login', { userId: 'after-cut' })).status).toBe(200);
    report('postgres-outage', { ...outageFigures(run, c, CLIENTS, app.crashes.length) });
    expectFailClosed(c, app, CLIENTS);
  });
});
