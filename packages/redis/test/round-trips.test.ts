/**
 * Round trips and writes, counted on the server with MONITOR (not assumed): MONITOR shows
 * each command a client sent with the client's address, and commands run inside a script
 * with source "lua", so top-level round trips and in-script writes are told apart.
 * Also measures MEMORY USAGE of a small authenticated session and its index entry.
 */
import { createLoginThrottle, handleOf, type SessionKey, type SessionStore } from '@tessera/session-core';
import { keyFor, storedSession } from '@tessera/session-testing';
import { type RedisServer, startRedis } from '@tessera/test-support';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore } from '../src/index.js';
import { CLIENT_KINDS, client, connect, noRedis, type TestConnection } from './helpers.js';

const MIN = 60_000;
const WRITES = new Set(['hset', 'hdel', 'del', 'pexpire', 'zadd', 'zrem', 'set', 'expire']);

interface Seen {
  readonly command: string;
  readonly arg: string;
  readonly source: string;
}

for (const kind of CLIENT_KINDS)
  describe.skipIf(noRedis)(
    `round trips per operation on ${kind} (MONITOR on a dedicated redis-server)`,
    () => {
      let server: RedisServer;
      let redis: TestConnection;
      let monitor: Redis;
      let probe: Redis;
      let store: SessionStore;
      const seen: Seen[] = [];
      let marks = 0;
      let self = '';

      beforeAll(async () => {
        server = await startRedis();
        redis = await connect(kind, server.url);
        // Limits far past the defaults: one case writes 10,000 keys to count the batched HSETs.
        store = redisStore({ client: redis.client, maxKeys: 20_000, maxDataBytes: 1024 * 1024 });
        self = /addr=(\S+)/.exec(String(await redis.cmd('CLIENT', 'INFO')))?.[1] ?? '';
        probe = client(server.url);
        monitor = await probe.monitor();
        monitor.on('monitor', (_time: string, args: string[], source: string) => {
          seen.push({ command: String(args[0]).toLowerCase(), arg: String(args[1]), source });
        });
        // Warm the script cache so EVALSHA never falls back to EVAL below.
        const u = 'warm-up';
        const k = keyFor(store, u);
        const now = Date.now();
        await store.rotate({
          now,
          from: null,
          to: { key: k, session: storedSession({ userId: u, now }) },
          limit: null,
        });
        await store.load(k, { now, touchIntervalMs: MIN });
        await store.load(k, { now: now + 2 * MIN, touchIntervalMs: MIN });
        await store.create(keyFor(store), storedSession({ now }), { now });
        await store.update(k, { set: {}, unset: ['x'] }, { now });
        await store.destroy(k, { now, userId: u });
        await store.listUserSessions(u, { now });
        await store.revokeUserSessions(u, { now, only: 'none' });
        await store.revokeUserSessions(u, { now });
      }, 30_000);

      afterAll(async () => {
        monitor?.disconnect();
        probe?.disconnect();
        await redis?.close();
        await server?.stop();
      });

      /** Index just after the ECHO `mark` the store's connection sent, once MONITOR shows it. */
      async function sync(): Promise<number> {
        const mark = `mark-${++marks}`;
        await redis.cmd('ECHO', mark);
        for (let i = 0; i < 200; i++) {
          const at = seen.findIndex((s) => s.command === 'echo' && s.arg === mark);
          if (at >= 0) return at + 1;
          await new Promise((r) => setTimeout(r, 10));
        }
        throw new Error(`MONITOR never showed ${mark}`);
      }

      /** Commands the store's connection sent for `op` (round trips) and the writes its scripts made. */
      async function count(op: () => Promise<unknown>): Promise<{ trips: string[]; writes: string[] }> {
        const start = await sync();
        await op();
        const end = (await sync()) - 1;
        const ops = seen.slice(start, end);
        return {
          trips: ops.filter((s) => s.source === self).map((s) => s.command),
          writes: ops.filter((s) => s.source === 'lua' && WRITES.has(s.command)).map((s) => s.command),
        };
      }

      const report: Record<string, number> = {};
      afterAll(() => {
        process.stdout.write(`\nround trips per operation (${kind}): ${JSON.stringify(report)}\n`);
      });

      async function login(
        userId: string,
        now: number,
        from: { key: SessionKey; userId: string | null } | null = null,
      ) {
        const key = keyFor(store, userId);
        const session = storedSession({ userId, now, data: { cart: [1, 2], theme: 'dark' } });
        const result = await store.rotate({
          now,
          from,
          to: { key, session },
          limit: { max: 5, onLimit: 'evict-oldest' },
        });
        return { key, session, result };
      }

      it('login throttle: check = 1, failure = 1, success = 1; counters expire by themselves, keyed by hashes', async () => {
        const throttle = createLoginThrottle({ store, logger: false });
        const attempt = { account: 'Throttled.User', ip: '192.0.2.44' };
        // Warm the script cache (EVALSHA, not EVAL, below).
        await throttle.check(attempt);
        await throttle.record(attempt, true);
        await throttle.record({ account: 'warm-up', ip: '192.0.2.45' }, false);

        const check = await count(() => throttle.check(attempt));
        expect(check.trips).toEqual(['evalsha']);
        expect(check.writes).toEqual([]);
        const failure = await count(() => throttle.record(attempt, false));
        expect(failure.trips).toEqual(['evalsha']);
        expect(failure.writes.sort()).toEqual(['hset', 'hset', 'pexpire', 'pexpire']);
        const names = (await redis.cmd('KEYS', 'tessera:{*}t?')) as string[];
        expect(names.length).toBeGreaterThanOrEqual(2);
        for (const name of names) {
          expect(name).toMatch(/^tessera:\{[A-Za-z0-9_-]{43}\}t[ai]$/);
          expect(name.toLowerCase()).not.toContain('throttled');
          expect(name).not.toContain('192.0.2');
          // windowMs + maxDelayMs (account) or windowMs (IP) from the latest failure.
          const ttl = Number(await redis.cmd('PTTL', name));
          expect(ttl).toBeGreaterThan(0);
          expect(ttl).toBeLessThanOrEqual(30 * MIN);
        }
        const success = await count(() => throttle.record(attempt, true));
        expect(success.trips).toEqual(['evalsha']);
        expect(success.writes).toEqual(['del']);
        report['throttle check'] = check.trips.length;
        report['throttle failure'] = failure.trips.length;
        report['throttle success'] = success.trips.length;
      });

      it('create = 1, load inside the touch interval = 1 plain HGETALL (no script, no write), load when due = 2', async () => {
        const now = Date.now();
        const key = keyFor(store);
        const c = await count(() => store.create(key, storedSession({ now, data: { a: 1 } }), { now }));
        expect(c.trips).toEqual(['evalsha']);
        expect(c.writes.sort()).toEqual(['hset', 'pexpire']);
        report.create = c.trips.length;

        const before = await redis.cmd('HGETALL', `tessera:{${key.tag}}s:${key.id}`);
        const inside = await count(() => store.load(key, { now: now + 1000, touchIntervalMs: MIN }));
        expect(inside.trips).toEqual(['hgetall']);
        expect(inside.writes).toEqual([]);
        expect(await redis.cmd('HGETALL', `tessera:{${key.tag}}s:${key.id}`)).toEqual(before);
        report['load (no touch due)'] = inside.trips.length;

        // Once per touch interval of a session: the read, then the touch script.
        const due = await count(() => store.load(key, { now: now + 2 * MIN, touchIntervalMs: MIN }));
        expect(due.trips).toEqual(['hgetall', 'evalsha']);
        expect(due.writes.sort()).toEqual(['hset', 'pexpire']);
        report['load (touch due)'] = due.trips.length;

        const missing = await count(() => store.load(keyFor(store), { now, touchIntervalMs: MIN }));
        expect(missing.trips).toEqual(['hgetall']);
        expect(missing.writes).toEqual([]);
      });

      it('update = 1 and writes only the named fields', async () => {
        const now = Date.now();
        const key = keyFor(store);
        await store.create(key, storedSession({ now, data: { a: 1, b: 2 } }), { now });
        const c = await count(() => store.update(key, { set: { a: '3' }, unset: ['b'] }, { now }));
        expect(c.trips).toEqual(['evalsha']);
        expect(c.writes.sort()).toEqual(['hdel', 'hset']);
        report.update = c.trips.length;
      });

      it('login (rotate anonymous -> user, with cap and index) = 1 on standalone', async () => {
        const now = Date.now();
        const anon = keyFor(store);
        await store.create(anon, storedSession({ now }), { now });
        const c = await count(() => login('rt-user', now, { key: anon, userId: null }));
        expect(c.trips).toEqual(['evalsha']);
        report['rotate (login, anon -> user)'] = c.trips.length;
        const again = await count(() => login('rt-user', now));
        expect(again.trips).toEqual(['evalsha']);
      });

      it('10,000 data keys: create, load, update and login are still 1 each (writes batched in the script)', async () => {
        const now = Date.now();
        const data: Record<string, number> = {};
        for (let i = 0; i < 10_000; i++) data[`k${i}`] = i;
        const hsets = (writes: string[]) => writes.filter((w) => w === 'hset').length;

        // 3 metadata fields + 10,000 data fields = 20,006 values: 21 HSETs of at most 1,000 values.
        const anon = keyFor(store);
        const created = await count(() => store.create(anon, storedSession({ now, data }), { now }));
        expect(created.trips).toEqual(['evalsha']);
        expect(created.writes.filter((w) => w !== 'hset')).toEqual(['pexpire']);
        expect(hsets(created.writes)).toBe(21);

        const loaded = await count(() => store.load(anon, { now, touchIntervalMs: MIN }));
        expect(loaded.trips).toEqual(['hgetall']);
        expect(loaded.writes).toEqual([]);

        // 5,000 set (10,000 values and the new size in m: 11 HSETs), 5,000 unset (5 HDELs).
        const set: Record<string, string> = {};
        for (let i = 0; i < 5_000; i++) set[`k${i}`] = '0';
        const unset = Array.from({ length: 5_000 }, (_, i) => `k${5_000 + i}`);
        const updated = await count(() => store.update(anon, { set, unset }, { now }));
        expect(updated.trips).toEqual(['evalsha']);
        expect(hsets(updated.writes)).toBe(11);
        expect(updated.writes.filter((w) => w === 'hdel')).toHaveLength(5);

        // The login carries 10,000 keys of (anonymous) data into the new session.
        const userId = 'rt-many-keys';
        const to = { key: keyFor(store, userId), session: storedSession({ userId, now, data }) };
        const rotated = await count(() =>
          store.rotate({
            now,
            from: { key: anon, userId: null },
            to,
            limit: { max: 5, onLimit: 'evict-oldest' },
          }),
        );
        expect(rotated.trips).toEqual(['evalsha']);
        expect(hsets(rotated.writes)).toBe(21);
        report['rotate (login, 10,000 data keys)'] = rotated.trips.length;
        expect(Number(await redis.cmd('HLEN', `tessera:{${to.key.tag}}s:${to.key.id}`))).toBeGreaterThan(
          10_000,
        );
      });

      it('destroy = 1, list = 1, revoke one = 1, revoke others = 1, revoke all = 1', async () => {
        const now = Date.now();
        const u = 'rt-user-2';
        const s = [
          await login(u, now),
          await login(u, now + 1),
          await login(u, now + 2),
          await login(u, now + 3),
        ];
        const d = await count(() => store.destroy(s[0]!.key, { now, userId: u }));
        expect(d.trips).toEqual(['evalsha']);
        report.destroy = d.trips.length;
        const l = await count(() => store.listUserSessions(u, { now }));
        expect(l.trips).toEqual(['evalsha']);
        report.listUserSessions = l.trips.length;
        const one = await count(() => store.revokeUserSessions(u, { now, only: s[1]!.session.handle }));
        expect(one.trips).toEqual(['evalsha']);
        report['revokeUserSessions (one)'] = one.trips.length;
        const others = await count(() => store.revokeUserSessions(u, { now, except: s[3]!.key }));
        expect(others.trips).toEqual(['evalsha']);
        report['revokeUserSessions (others)'] = others.trips.length;
        const all = await count(() => store.revokeUserSessions(u, { now }));
        expect(all.trips).toEqual(['evalsha']);
        report['revokeUserSessions (all)'] = all.trips.length;
      });

      // Memory is the server's, whichever client wrote it: measured once.
      it.skipIf(kind !== 'ioredis')(
        'memory: a small authenticated session plus its index entry',
        async () => {
          const now = Date.now();
          let users = 0;
          const measure = async (userAgent: string | null) => {
            const u = `user-4${++users}`;
            const key = keyFor(store, u);
            const base = storedSession({ userId: u, now, data: { cart: [1, 2], theme: 'dark', n: 3 } });
            // As the core writes it: the handle derived from the id (so not stored).
            const client = userAgent === null ? null : { ...base.client!, userAgent };
            const session = { ...base, handle: handleOf(key), client };
            await store.rotate({
              now,
              from: null,
              to: { key, session },
              limit: { max: 5, onLimit: 'evict-oldest' },
            });
            const s = Number(
              await redis.cmd('MEMORY', 'USAGE', `tessera:{${key.tag}}s:${key.id}`, 'SAMPLES', '0'),
            );
            const idx = Number(
              await redis.cmd('MEMORY', 'USAGE', `tessera:{${key.tag}}u:${u}`, 'SAMPLES', '0'),
            );
            // What one more session adds to the (per-user, shared) index.
            const key2 = keyFor(store, u);
            const limit = { max: 5, onLimit: 'evict-oldest' } as const;
            await store.rotate({
              now,
              from: null,
              to: { key: key2, session: { ...session, handle: handleOf(key2) } },
              limit,
            });
            const idx2 = Number(
              await redis.cmd('MEMORY', 'USAGE', `tessera:{${key.tag}}u:${u}`, 'SAMPLES', '0'),
            );
            return { session: s, index: idx, indexEntry: idx2 - idx };
          };
          const bare = await measure(null);
          const short = await measure('conformance/1.0');
          const browser = await measure(
            'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
          );
          // connect-redis stores one JSON string per session under `sess:<id>` with the cookie inside.
          const sid = 'Q2tX8aB0yFz3k1m9PqRsTuVwXyZ01234';
          await redis.cmd(
            'SET',
            `sess:${sid}`,
            JSON.stringify({
              cookie: {
                originalMaxAge: 86400000,
                expires: new Date(now).toISOString(),
                httpOnly: true,
                path: '/',
              },
              userId: 'user-42',
              cart: [1, 2],
              theme: 'dark',
              n: 3,
            }),
            'PX',
            '86400000',
          );
          const connectRedis = Number(await redis.cmd('MEMORY', 'USAGE', `sess:${sid}`, 'SAMPLES', '0'));
          process.stdout.write(
            `\nMEMORY USAGE: no client ${JSON.stringify(bare)}, short UA ${JSON.stringify(short)}, browser UA ${JSON.stringify(browser)}, connect-redis-shaped ${connectRedis}\n`,
          );
          // 328 B while the handle was stored as well: it is derived from the id now.
          expect(short.session).toBeLessThan(328);
          expect(browser.session).toBeLessThan(600);
        },
      );
    },
  );
