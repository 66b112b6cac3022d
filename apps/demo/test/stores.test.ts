/**
 * The demo on the real stores its SESSION_STORE switch opens (src/stores.ts): sign in, count,
 * parallel notes, devices, log out. Each store runs under a different framework, so the
 * pairing varies. Throwaway redis-server / memcached processes; Postgres from DATABASE_URL.
 * Without a service its suite is skipped loudly (and fails under CI=true).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLoginThrottle, createSessionManager } from '@tessera/session-core';
import {
  memcachedAvailable,
  postgresMissing,
  redisAvailable,
  serviceMissing,
  startMemcached,
  startRedis,
} from '@tessera/test-support';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Framework, readConfig, type StoreKind, throttleOptions } from '../src/config.js';
import { type OpenedStore, openStore } from '../src/stores.js';
import { Client, STARTERS } from './demo.js';

interface Case {
  /** For the test's name. */
  readonly label: string;
  readonly store: StoreKind;
  readonly framework: Framework;
  /** Starts the service; answers the environment for readConfig. */
  env(): Promise<Record<string, string>>;
}

const stops: Array<() => Promise<void>> = [];

const cases: Case[] = [
  {
    label: 'redis on ioredis (koa)',
    store: 'redis',
    framework: 'koa',
    env: async () => {
      const server = await startRedis();
      stops.push(() => server.stop());
      return { REDIS_URL: server.url };
    },
  },
  {
    label: 'redis on node-redis (hono)',
    store: 'redis',
    framework: 'hono',
    env: async () => {
      const server = await startRedis();
      stops.push(() => server.stop());
      return { REDIS_URL: server.url, REDIS_CLIENT: 'node-redis' };
    },
  },
  {
    label: 'memcached (express)',
    store: 'memcached',
    framework: 'express',
    env: async () => {
      const server = await startMemcached();
      stops.push(() => server.stop());
      return { MEMCACHED_SERVERS: server.server };
    },
  },
  {
    // Two servers need a tag secret: the demo falls back to its development one.
    label: 'two memcached servers (hono)',
    store: 'memcached',
    framework: 'hono',
    env: async () => {
      const servers = await Promise.all([startMemcached({ index: 1 }), startMemcached({ index: 2 })]);
      for (const s of servers) stops.push(() => s.stop());
      return { MEMCACHED_SERVERS: servers.map((s) => s.server).join(',') };
    },
  },
  {
    label: 'postgres (nestjs)',
    store: 'postgres',
    framework: 'nestjs',
    env: async () => ({ DATABASE_URL: process.env.DATABASE_URL ?? '' }),
  },
];

const missing: Record<string, boolean> = {
  redis: !redisAvailable() && serviceMissing('redis-server', 'apt-get install redis-server'),
  memcached: !memcachedAvailable() && serviceMissing('memcached', 'apt-get install memcached'),
  postgres: postgresMissing(),
};

afterAll(async () => {
  for (const stop of stops) await stop();
});

describe.each(cases)('demo on $label', (c) => {
  let opened: OpenedStore;
  let app: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    if (missing[c.store]) return;
    const config = readConfig({ SESSION_STORE: c.store, ...(await c.env()) });
    opened = await openStore(config);
    const manager = createSessionManager({ store: opened.store });
    const throttle = createLoginThrottle({ store: opened.store, ...throttleOptions(config) });
    app = await (await STARTERS[c.framework]()).start(manager, 0, throttle);
  });
  afterAll(async () => {
    await app?.close();
    await opened?.close();
  });

  it.skipIf(missing[c.store])('signs in, counts, keeps parallel notes, lists devices, logs out', async () => {
    const base = app.url.replace('//localhost:', '//127.0.0.1:');
    // Devices named per run: Postgres may be a shared database that keeps earlier sessions.
    const run = Math.random().toString(36).slice(2, 8);
    const [laptop, phone] = [new Client(base, `laptop-${run}`), new Client(base, `phone-${run}`)];
    expect(await laptop.login('alice', 'wonderland')).toMatchObject({
      status: 200,
      body: { userId: 'alice' },
    });
    expect((await phone.login('alice', 'wonderland')).status).toBe(200);
    await laptop.state();
    expect(await laptop.send('POST', '/api/counter')).toMatchObject({ status: 200, body: { counter: 1 } });
    const keys = Array.from({ length: 20 }, (_, i) => `n${i}`);
    await Promise.all(keys.map((k) => laptop.send('PUT', `/api/notes/${k}`, { value: k })));
    expect((await laptop.send('GET', '/api/notes')).body).toEqual(
      Object.fromEntries(keys.map((k) => [k, k])),
    );

    const devices = (await laptop.send('GET', '/api/sessions')).body as Array<{
      handle: string;
      userAgent: string;
    }>;
    const other = devices.find((d) => d.userAgent === `phone-${run}`);
    expect(other).toBeDefined();
    expect((await laptop.send('DELETE', `/api/sessions/${other?.handle}`)).status).toBe(204);
    expect((await phone.send('GET', '/api/protected')).status).toBe(401);
    expect((await laptop.send('POST', '/api/logout')).status).toBe(204);
    expect((await laptop.send('GET', '/api/protected')).status).toBe(401);
  });

  it.skipIf(missing[c.store])(
    'counts failed logins in this store: the 6th attempt for a username is 429',
    async () => {
      const base = app.url.replace('//localhost:', '//127.0.0.1:');
      // A username of this run only: Redis, Postgres and memcached may keep earlier runs' counters.
      const name = `ghost-${Math.random().toString(36).slice(2, 10)}`;
      const c = new Client(base);
      for (let i = 0; i < 5; i++) expect((await c.login(name, 'guess')).status).toBe(401);
      const refused = await c.login(name, 'guess');
      expect(refused).toMatchObject({ status: 429, body: { error: 'too_many_attempts' } });
      expect(refused.headers.get('retry-after')).toBe('60');
    },
  );
});

describe('REDIS_CLIENT', () => {
  it('is ioredis by default, node-redis on request, and anything else is refused at start-up', () => {
    expect(readConfig({}).redisClient).toBe('ioredis');
    expect(readConfig({ REDIS_CLIENT: 'node-redis' }).redisClient).toBe('node-redis');
    expect(() => readConfig({ REDIS_CLIENT: 'redis' })).toThrow(
      /REDIS_CLIENT must be one of ioredis, node-redis/,
    );
  });
});

describe('the demo tag secret', () => {
  it('several memcached servers: the development secret named in the start-up line, or SESSION_TAG_SECRET', async () => {
    const servers = { SESSION_STORE: 'memcached', MEMCACHED_SERVERS: '127.0.0.1:1,127.0.0.1:2' };
    const dev = await openStore(readConfig(servers));
    const own = await openStore(
      readConfig({ ...servers, SESSION_TAG_SECRET: 'demo-test-own-tag-secret-0123456789' }),
    );
    expect(dev.label).toMatch(/development tag secret: set SESSION_TAG_SECRET/);
    expect(own.label).not.toMatch(/development/);
    expect(own.store.shardTag!('alice')).toMatch(/^[0-9a-z]{4}$/);
    expect(own.store.shardTag!('alice')).not.toBe(dev.store.shardTag!('alice'));
    await dev.close();
    await own.close();
  });
});

describe('closing a Postgres store (issue #15: close() did not wait for the sweeper)', () => {
  it('waits for a sweep in progress before closing the database, so the sweep does not fail', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-demo-pglite-'));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    // Only the sweeper's interval is faked; PGlite keeps its real timers.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const opened = await openStore(readConfig({ SESSION_STORE: 'pglite', PGLITE_DIR: dir }));
      vi.advanceTimersByTime(60_000); // the sweeper starts a sweep
      vi.useRealTimers();
      await opened.close();
      await new Promise((r) => setTimeout(r, 50)); // a sweep left running fails just after
      expect(warn.mock.calls.flat().join('\n')).not.toMatch(/sweep failed/);
    } finally {
      vi.useRealTimers();
      warn.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
