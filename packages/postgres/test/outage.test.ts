/** Store down: a typed error within the bound, never a hang; recovery without a restart. */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { createSessionManager, isSessionError, type SessionError } from '@tessera/session-core';
import { keyFor, storedSession } from '@tessera/session-testing';
import { createPglite, freePort, postgresMissing, postgresUrl, waitFor } from '@tessera/test-support';
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { migrate, postgresStore } from '../src/index.js';
import { request, serverDb } from './helpers.js';

async function unavailable(op: Promise<unknown>): Promise<SessionError | undefined> {
  try {
    await op;
  } catch (error) {
    return isSessionError(error, 'store_unavailable') ? error : undefined;
  }
  return undefined;
}

/** A TCP proxy to the real server that can be cut and restored on the same port. */
class TcpProxy {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    readonly target: { host: string; port: number },
    readonly blackhole = false,
  ) {}
  start(): Promise<void> {
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => {});
      // A black hole accepts and then never answers: the worst kind of outage.
      if (this.blackhole) return;
      const upstream = connect(this.target.port, this.target.host);
      this.#sockets.add(upstream);
      upstream.on('close', () => this.#sockets.delete(upstream));
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
      socket.pipe(upstream).pipe(socket);
    });
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }
  stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    const server = this.#server;
    this.#server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

describe('store down', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it('a closed port fails fast with store_unavailable', async () => {
    const pool = new pg.Pool({
      host: '127.0.0.1',
      port: await freePort(),
      user: 'postgres',
      connectionTimeoutMillis: 2000,
    });
    pool.on('error', () => {});
    cleanups.push(() => pool.end());
    const store = postgresStore({ client: pool, timeoutMs: 3000 });
    const t0 = Date.now();
    const error = await unavailable(store.load(keyFor(store), { now: Date.now(), touchIntervalMs: 0 }));
    expect(error?.message).toMatch(/\[tessera\] \[postgres\]/);
    expect(error?.cause).toBeDefined();
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('a server that never answers fails after timeoutMs, not later', async () => {
    const hole = new TcpProxy(await freePort(), { host: '127.0.0.1', port: 1 }, true);
    await hole.start();
    cleanups.push(() => hole.stop());
    const pool = new pg.Pool({ host: '127.0.0.1', port: hole.port, user: 'postgres' });
    pool.on('error', () => {});
    cleanups.push(() => hole.stop().then(() => pool.end()));
    const store = postgresStore({ client: pool, timeoutMs: 300 });
    const t0 = Date.now();
    const error = await unavailable(store.update(keyFor(store), { set: { a: '1' }, unset: [] }, { now: t0 }));
    expect(error?.message).toMatch(/no answer within 300 ms/);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2000);
  });

  it('a closed PGlite fails with store_unavailable', async () => {
    const db = await createPglite<PGlite>(PGlite);
    await migrate(db);
    const store = postgresStore({ client: db });
    const key = keyFor(store);
    const now = Date.now();
    await store.create(key, storedSession({ now }), { now });
    await db.close();
    expect(await unavailable(store.load(key, { now, touchIntervalMs: 0 }))).toBeDefined();
    expect(await unavailable(store.destroy(key, { now, userId: null }))).toBeDefined();
  }, 30_000);

  it('a missing migration is logged once, saying to run migrate() and why (issue #13.6: a 503 printed nothing)', async () => {
    const db = await createPglite<PGlite>(PGlite);
    cleanups.push(() => db.close());
    const logger = { warn: vi.fn(), error: vi.fn() };
    const manager = createSessionManager({ store: postgresStore({ client: db }), logger });
    const cookie = `__Host-sid=${'A'.repeat(43)}`;
    for (let i = 0; i < 3; i++) {
      expect(await unavailable(manager.begin(request(cookie)))).toBeDefined();
    }
    expect(logger.error).toHaveBeenCalledTimes(1);
    const [message] = logger.error.mock.calls[0]!;
    expect(message).toMatch(/^\[tessera\] \[postgres\] load: query failed \(42P01\); .*run migrate\(\)/);
    expect(message).toMatch(/\(cause: relation "[^"]*tessera_sessions" does not exist\)/);
    await migrate(db);
    expect((await manager.begin(request(cookie))).session.authenticated).toBe(false);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]![0]).toMatch(
      /^\[tessera\] \[postgres\] the store answers again, after 3 failed calls/,
    );
  }, 30_000);

  it('a driver that throws synchronously is store_unavailable too', async () => {
    const store = postgresStore({
      client: {
        query: () => {
          throw new Error('client is closed');
        },
      },
    });
    expect(await unavailable(store.listUserSessions('u', { now: Date.now() }))).toBeDefined();
  });

  describe.skipIf(postgresMissing())('real server behind a proxy', () => {
    it('recovers by itself when the connection comes back', async () => {
      const db = await serverDb(1);
      cleanups.push(() => db.close());
      const url = new URL(postgresUrl()!);
      const proxy = new TcpProxy(await freePort(), { host: url.hostname, port: Number(url.port || 5432) });
      await proxy.start();
      const pool = new pg.Pool({
        host: '127.0.0.1',
        port: proxy.port,
        user: decodeURIComponent(url.username) || 'postgres',
        database: url.pathname.slice(1) || 'postgres',
        max: 3,
        connectionTimeoutMillis: 1000,
      });
      pool.on('error', () => {});
      cleanups.push(() => proxy.stop().then(() => pool.end()));
      const store = postgresStore({ client: pool, schema: db.schema, timeoutMs: 1500 });
      const now = Date.now();
      const key = keyFor(store);
      expect(await store.create(key, storedSession({ now, data: { n: 1 } }), { now })).toBe(true);

      await proxy.stop();
      expect(await unavailable(store.load(key, { now, touchIntervalMs: 0 }))).toBeDefined();
      expect(await unavailable(store.update(key, { set: { n: '2' }, unset: [] }, { now }))).toBeDefined();

      await proxy.start();
      // Pooled connections that died are discarded by the pool; a few calls may still meet one.
      await waitFor(
        async () => (await store.load(key, { now, touchIntervalMs: 0 })).status === 'found',
        10_000,
        'recovery',
      );
      expect(await store.update(key, { set: { n: '2' }, unset: [] }, { now })).toBe('ok');
      const r = await store.load(key, { now, touchIntervalMs: 0 });
      expect(r.status === 'found' && r.session.data.n).toBe('2');
    }, 30_000);
  });
});
