/**
 * Moving from express-session (issue #19), against the real thing: an express-session +
 * connect-redis app makes sessions over HTTP, then a Tessera Express app on the same Redis
 * picks them up through `connectRedisSource`.
 */
import {
  connectStore,
  createSessionManager,
  type ExpressSessionMigrationOptions,
  expressSession,
  type MigrationSource,
  type SessionEvent,
  type SessionManager,
  type SessionManagerOptions,
} from '@tessera/session-core';
import { connectRedisSource, redisStore } from '@tessera/session-redis';
import type { TestServer } from '@tessera/session-testing';
import { listenNode } from '@tessera/session-testing';
import {
  FAIL_FAST_OPTIONS,
  type RedisServer,
  redisAvailable,
  serviceMissing,
  startRedis,
} from '@tessera/test-support';
import { RedisStore } from 'connect-redis';
import express from 'express';
import expressSessionMiddleware, { MemoryStore } from 'express-session';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, listen } from './app.js';

const skip = !redisAvailable() && serviceMissing('redis-server', 'install redis-server (Redis 7) on PATH');
const OLD_SECRET = 'the secret express-session signed with';
const NEW_SECRET = 'the secret it was rotated to';

type NodeRedis = ReturnType<typeof createClient>;

/** The app being left: express-session + connect-redis, `POST /login?user=` signs in and counts. */
function oldApp(store: unknown, secret: string | string[], maxAge?: number) {
  const app = express();
  app.use(
    expressSessionMiddleware({
      secret,
      store,
      resave: false,
      saveUninitialized: false,
      ...(maxAge !== undefined ? { cookie: { maxAge } } : {}),
    }),
  );
  app.post('/login', (req, res) => {
    const s = (req as unknown as { session: Record<string, unknown> }).session;
    s.userId = String(req.query.user);
    s.counter = 41;
    res.json({ ok: true });
  });
  return listenNode(app);
}

/** Signs `user` in on the old app; answers the `connect.sid=...` pair and the old sid. */
async function oldLogin(server: TestServer, user: string): Promise<{ cookie: string; sid: string }> {
  const res = await fetch(`${server.url}/login?user=${user}`, { method: 'POST' });
  // express-session saves while the body is being sent: the record exists once the body is complete.
  await res.text();
  const pair = res.headers.getSetCookie()[0]!.split(';')[0]!;
  const sid = decodeURIComponent(pair.slice('connect.sid='.length)).slice(2).split('.')[0]!;
  return { cookie: pair, sid };
}

interface State {
  authenticated: boolean;
  userId: string | null;
  handle: string | null;
  data: Record<string, unknown>;
}

async function state(server: TestServer, cookie: string): Promise<{ body: State; cookies: string[] }> {
  const res = await fetch(`${server.url}/state`, { headers: { cookie } });
  // The route hands out a CSRF token: without a session, that sets the pre-session cookie.
  const cookies = res.headers.getSetCookie().filter((c) => !c.startsWith('__Host-csrf='));
  return { body: (await res.json()) as State, cookies };
}

const CLEAR_OLD =
  'connect.sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax';

describe.skipIf(skip)('express-session + connect-redis → Tessera on Express', () => {
  let server: RedisServer;
  let nodeRedis: NodeRedis;
  let ioredis: Redis;
  let old: TestServer;
  const open: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    server = await startRedis();
    nodeRedis = createClient({ url: server.url });
    nodeRedis.on('error', () => undefined);
    await nodeRedis.connect();
    ioredis = new Redis(server.url, FAIL_FAST_OPTIONS);
    old = await oldApp(new RedisStore({ client: nodeRedis }), [NEW_SECRET, OLD_SECRET]);
  });
  afterAll(async () => {
    await old?.close();
    ioredis?.disconnect();
    await nodeRedis?.quit();
    await server?.dispose();
  });
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close();
  });

  /** A Tessera app (the adapter's contract test app) on the same Redis, migrating. */
  async function tessera(
    migration: Partial<ExpressSessionMigrationOptions> = {},
    options: Partial<SessionManagerOptions> = {},
  ) {
    const events: SessionEvent[] = [];
    const migrateFrom = expressSession({
      secrets: [NEW_SECRET, OLD_SECRET],
      source: connectRedisSource(ioredis),
      migrate: (s) => ({
        userId: typeof s.userId === 'string' ? s.userId : null,
        data: { counter: s.counter },
      }),
      ...migration,
    });
    const manager: SessionManager = createSessionManager({
      store: redisStore({ client: ioredis, keyPrefix: 'tessera:' }),
      migrateFrom,
      onEvent: (e) => events.push(e),
      ...options,
    });
    const app = await listen(buildApp(manager));
    open.push(app);
    const outcomes = () => events.flatMap((e) => (e.type === 'migrated' ? [e.outcome] : []));
    return { app, manager, migrateFrom, outcomes };
  }

  it('the old user is signed in once, with the data migrate() maps; the old record and cookie are gone', async () => {
    const { app, outcomes, migrateFrom } = await tessera();
    const { cookie, sid } = await oldLogin(old, 'alice');
    expect(await nodeRedis.exists(`sess:${sid}`)).toBe(1);
    const first = await state(app, cookie);
    expect(first.body).toMatchObject({ authenticated: true, userId: 'alice', data: { counter: 41 } });
    expect(first.cookies).toContain(CLEAR_OLD);
    const tesseraCookie = first.cookies.find((c) => c.startsWith('__Host-sid='))!.split(';')[0]!;
    expect(await nodeRedis.exists(`sess:${sid}`)).toBe(0);
    // The new cookie carries the session; the old one, replayed, finds nothing.
    expect((await state(app, tesseraCookie)).body.userId).toBe('alice');
    const replay = await state(app, cookie);
    expect(replay.body.authenticated).toBe(false);
    expect(replay.cookies).toEqual([CLEAR_OLD]);
    expect(outcomes()).toEqual(['ok', 'missing']);
    expect(migrateFrom.counts).toMatchObject({ ok: 1, missing: 1 });
  });

  it('a cookie signed with the previous secret (second in the array) migrates', async () => {
    const previous = await oldApp(new RedisStore({ client: nodeRedis }), OLD_SECRET);
    open.push(previous);
    const { app } = await tessera();
    const { cookie } = await oldLogin(previous, 'carol');
    expect((await state(app, cookie)).body.userId).toBe('carol');
  });

  it('parallel first requests with one old cookie make exactly one session, in one process and in two', async () => {
    const one = await tessera();
    const a = await oldLogin(old, 'bob');
    const same = await Promise.all([1, 2, 3, 4, 5].map(() => state(one.app, a.cookie)));
    const handles = new Set(same.filter((r) => r.body.authenticated).map((r) => r.body.handle));
    expect(handles.size).toBe(1);
    expect(await one.manager.listSessions('bob')).toHaveLength(1);
    // Two processes (two managers, two in-flight maps): the atomic take hands the record to one.
    const other = await tessera();
    const b = await oldLogin(old, 'dora');
    const split = await Promise.all([one, other, one, other].map((t) => state(t.app, b.cookie)));
    expect(split.filter((r) => r.body.authenticated).length).toBeGreaterThanOrEqual(1);
    expect(new Set(split.filter((r) => r.body.authenticated).map((r) => r.body.handle)).size).toBe(1);
    expect(await one.manager.listSessions('dora')).toHaveLength(1);
  });

  it('an expired old session migrates nothing, whether Redis dropped it or its cookie.expires passed', async () => {
    const { app, outcomes } = await tessera();
    const { cookie, sid } = await oldLogin(old, 'erin');
    const record = JSON.parse((await nodeRedis.get(`sess:${sid}`))!) as {
      cookie: { expires: string | null };
    };
    record.cookie.expires = new Date(Date.now() - 1000).toISOString();
    await nodeRedis.set(`sess:${sid}`, JSON.stringify(record), { PX: 60_000 });
    const expired = await state(app, cookie);
    expect(expired.body.authenticated).toBe(false);
    expect(expired.cookies).toEqual([CLEAR_OLD]);
    const shortLived = await oldApp(new RedisStore({ client: nodeRedis }), OLD_SECRET, 300);
    open.push(shortLived);
    const gone = await oldLogin(shortLived, 'erin');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await nodeRedis.exists(`sess:${gone.sid}`)).toBe(1);
    expect((await state(app, gone.cookie)).body.authenticated).toBe(false);
    // connect-redis rounds its TTL up to whole seconds: the record outlives cookie.expires, which decides.
    expect(outcomes()).toEqual(['expired', 'expired']);
  });

  it('a forged cookie is ignored with no call to the old store', async () => {
    const real = connectRedisSource(ioredis);
    let takes = 0;
    const counted: MigrationSource = {
      ...real,
      take: (sid, o) => {
        takes++;
        return real.take(sid, o);
      },
    };
    const { app, outcomes } = await tessera({ source: counted });
    const { cookie, sid } = await oldLogin(old, 'frank');
    const forged = cookie.replace(/\.[^.]+$/, '.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    const res = await state(app, forged);
    expect(res.body.authenticated).toBe(false);
    expect(res.cookies).toEqual([]);
    expect(takes).toBe(0);
    expect(await nodeRedis.exists(`sess:${sid}`)).toBe(1);
    expect(outcomes()).toEqual(['forged']);
  });

  it("a cap reached during migration (onLimit 'reject'): anonymous, old record back in Redis, old cookie kept", async () => {
    const { app, manager, outcomes } = await tessera({}, { maxSessionsPerUser: 1, onLimit: 'reject' });
    // gina is already signed in on Tessera, on another device.
    const other = await manager.begin({ method: 'POST', header: () => undefined });
    await other.session.login('gina');
    await other.commit();
    expect(await manager.listSessions('gina')).toHaveLength(1);
    const { cookie, sid } = await oldLogin(old, 'gina');
    const refused = await state(app, cookie);
    expect(refused.body.authenticated).toBe(false);
    expect(refused.cookies).toEqual([]);
    expect(await nodeRedis.exists(`sess:${sid}`)).toBe(1);
    expect(await nodeRedis.pTTL(`sess:${sid}`)).toBeGreaterThan(0);
    expect(outcomes()).toEqual(['limit']);
    await manager.revokeAllSessions('gina');
    expect((await state(app, cookie)).body.userId).toBe('gina');
  });
});

describe("connectStore(): any connect store (express-session's MemoryStore)", () => {
  it('migrates from it and deletes the old session', async () => {
    const store = new MemoryStore();
    const old = await oldApp(store, OLD_SECRET);
    const manager = createSessionManager({
      store: new (await import('@tessera/session-core')).MemoryStore({ warnInProduction: false }),
      migrateFrom: expressSession({ secrets: OLD_SECRET, source: connectStore(store as never) }),
    });
    const app = await listen(buildApp(manager));
    try {
      const { cookie } = await oldLogin(old, 'hal');
      expect((await state(app, cookie)).body.userId).toBe('hal');
      expect((await state(app, cookie)).body.authenticated).toBe(false);
    } finally {
      await app.close();
      await old.close();
    }
  });
});
