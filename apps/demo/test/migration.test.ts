/**
 * SESSION_MIGRATE_EXPRESS_SECRET (issue #19): the demo on Redis signs in a user whose
 * express-session cookie and connect-redis record (written here as connect-redis writes them)
 * predate it, carrying `userId` and `counter`.
 */
import { createLoginThrottle, createSessionManager } from '@tessera/session-core';
import { expressSessionCookie } from '@tessera/session-testing';
import { redisAvailable, serviceMissing, startRedis } from '@tessera/test-support';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../src/config.js';
import { migrationOf } from '../src/migration.js';
import { openStore } from '../src/stores.js';
import { Client, STARTERS } from './demo.js';

const noRedis = !redisAvailable() && serviceMissing('redis-server', 'apt-get install redis-server');

describe('SESSION_MIGRATE_EXPRESS_SECRET', () => {
  it('is a comma-separated list of secrets, off when unset, refused on a store without old sessions', async () => {
    expect(readConfig({}).migrateExpressSecrets).toBeUndefined();
    expect(readConfig({ SESSION_MIGRATE_EXPRESS_SECRET: ' new , old,' }).migrateExpressSecrets).toEqual([
      'new',
      'old',
    ]);
    const config = readConfig({ SESSION_MIGRATE_EXPRESS_SECRET: 'secret' });
    const opened = await openStore(config);
    expect(() => migrationOf(config, opened)).toThrow(/needs SESSION_STORE=redis, postgres or pglite/);
    await opened.close();
  });

  it.skipIf(noRedis)(
    'on Redis: an express-session user arrives signed in with their counter, once',
    async () => {
      const server = await startRedis();
      const config = readConfig({
        SESSION_STORE: 'redis',
        REDIS_URL: server.url,
        SESSION_MIGRATE_EXPRESS_SECRET: 'rotated,the-old-app-secret',
      });
      const opened = await openStore(config);
      const migrateFrom = migrationOf(config, opened)!;
      const app = await (await STARTERS.hono()).start(
        createSessionManager({ store: opened.store, migrateFrom }),
        0,
        createLoginThrottle({ store: opened.store }),
      );
      const redis = new Redis(server.url);
      try {
        const sid = 'Qm9vb0F4bXdGbGx5X3NpZF9mb3JfdGVzdA';
        const expires = new Date(Date.now() + 86_400_000).toISOString();
        const old = {
          cookie: { originalMaxAge: 86_400_000, expires, httpOnly: true, path: '/' },
          userId: 'alice',
          counter: 7,
        };
        await redis.set(`sess:${sid}`, JSON.stringify(old), 'PX', 86_400_000);
        const browser = new Client(app.url.replace('//localhost:', '//127.0.0.1:'));
        browser.jar.set('connect.sid', expressSessionCookie(sid, 'the-old-app-secret'));
        expect(await browser.state()).toMatchObject({ authenticated: true, userId: 'alice', counter: 7 });
        expect(browser.jar.header()).not.toMatch(/connect\.sid/);
        expect(await redis.exists(`sess:${sid}`)).toBe(0);
        expect(await browser.send('POST', '/api/counter')).toMatchObject({
          status: 200,
          body: { counter: 8 },
        });
        expect(migrateFrom.counts.ok).toBe(1);
      } finally {
        redis.disconnect();
        await app.close();
        await opened.close();
        await server.stop();
      }
    },
  );
});
