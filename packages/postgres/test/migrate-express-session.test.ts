/**
 * Moving from express-session (issue #19), against the real thing: an express-session +
 * connect-pg-simple app makes sessions over HTTP, then a Tessera app (Hono) on the same
 * Postgres picks them up through `connectPgSource`, whose DELETE ... RETURNING hands each to one request.
 */
import {
  createSessionManager,
  expressSession,
  type SessionEvent,
  type SessionManagerOptions,
} from '@tessera/session-core';
import { type SessionEnv, session } from '@tessera/session-hono';
import { listenNode, type TestServer } from '@tessera/session-testing';
import { createTestSchema, postgresMissing } from '@tessera/test-support';
import connectPgSimple from 'connect-pg-simple';
import express from 'express';
import expressSessionMiddleware from 'express-session';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPgSource, migrate, postgresStore } from '../src/index.js';
import { serverPool } from './helpers.js';

const SECRET = 'the secret express-session signed with';
const CLEAR_OLD =
  'connect.sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax';

describe.skipIf(postgresMissing())('express-session + connect-pg-simple → Tessera on Hono', () => {
  const pool = serverPool();
  let schema: { schema: string; drop(): Promise<void> };
  let old: TestServer;

  beforeAll(async () => {
    schema = await createTestSchema(pool);
    await migrate(pool, { schema: schema.schema });
    // connect-pg-simple's table.sql, in the test's schema (its createTableIfMissing races the first request).
    await pool.query(
      `CREATE TABLE "${schema.schema}".session (sid varchar NOT NULL COLLATE "default" PRIMARY KEY, sess json NOT NULL, expire timestamp(6) NOT NULL)`,
    );
    const PgStore = connectPgSimple(expressSessionMiddleware);
    const app = express();
    app.use(
      expressSessionMiddleware({
        secret: SECRET,
        store: new PgStore({ pool, schemaName: schema.schema }),
        resave: false,
        saveUninitialized: false,
        cookie: { maxAge: 20 * 60_000 },
      }),
    );
    app.post('/login', (req, res) => {
      const s = (req as unknown as { session: Record<string, unknown> }).session;
      s.userId = String(req.query.user);
      s.counter = 5;
      res.json({ ok: true });
    });
    old = await listenNode(app);
  });
  afterAll(async () => {
    await old?.close();
    await schema?.drop();
    await pool.end();
  });

  async function oldLogin(user: string): Promise<{ cookie: string; sid: string }> {
    const res = await fetch(`${old.url}/login?user=${user}`, { method: 'POST' });
    // express-session saves while the body is being sent: the record exists once the body is complete.
    await res.text();
    const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
    const sid = decodeURIComponent(cookie.slice('connect.sid='.length)).slice(2).split('.')[0]!;
    return { cookie, sid };
  }

  function tessera(options: Partial<SessionManagerOptions> = {}) {
    const events: SessionEvent[] = [];
    const manager = createSessionManager({
      store: postgresStore({ client: pool, schema: schema.schema }),
      migrateFrom: expressSession({
        secrets: ['a newer secret', SECRET],
        source: connectPgSource(pool, { schema: schema.schema }),
        migrate: (s) => ({
          userId: typeof s.userId === 'string' ? s.userId : null,
          data: { counter: s.counter },
        }),
      }),
      onEvent: (e) => events.push(e),
      ...options,
    });
    const app = new Hono<SessionEnv>();
    app.use(session({ manager }));
    app.get('/state', (c) => {
      const s = c.get('session');
      return c.json({
        userId: s.userId,
        handle: s.handle,
        absoluteExpiresAt: s.absoluteExpiresAt,
        data: s.toJSON(),
      });
    });
    const get = async (cookie: string) => {
      const res = await app.request('/state', { headers: { cookie } });
      const body = (await res.json()) as {
        userId: string | null;
        handle: string | null;
        absoluteExpiresAt: number | null;
        data: unknown;
      };
      return { body, cookies: res.headers.getSetCookie() };
    };
    const outcomes = () => events.flatMap((e) => (e.type === 'migrated' ? [e.outcome] : []));
    return { manager, get, outcomes };
  }

  const rows = async (sid: string) =>
    (await pool.query(`SELECT 1 FROM "${schema.schema}".session WHERE sid = $1`, [sid])).rowCount;

  it('signs the old user in once, bounded by the old cookie, and deletes the row', async () => {
    const { get, outcomes } = tessera();
    const { cookie, sid } = await oldLogin('alice');
    expect(await rows(sid)).toBe(1);
    const before = Date.now();
    const first = await get(cookie);
    expect(first.body).toMatchObject({ userId: 'alice', data: { counter: 5 } });
    // maxAge 20 min < the default 8 h: the new deadline is now + 20 min.
    expect(first.body.absoluteExpiresAt).toBeGreaterThanOrEqual(before + 20 * 60_000);
    expect(first.body.absoluteExpiresAt).toBeLessThanOrEqual(Date.now() + 20 * 60_000);
    expect(first.cookies).toContain(CLEAR_OLD);
    expect(first.cookies.some((c) => c.startsWith('__Host-sid='))).toBe(true);
    expect(await rows(sid)).toBe(0);
    expect((await get(cookie)).body.userId).toBeNull();
    expect(outcomes()).toEqual(['ok', 'missing']);
  });

  it('parallel first requests on two managers (two processes) make exactly one session', async () => {
    const a = tessera();
    const b = tessera();
    const { cookie } = await oldLogin('bob');
    const all = await Promise.all([a, b, a, b, a, b].map((t) => t.get(cookie)));
    const signedIn = all.filter((r) => r.body.userId === 'bob');
    expect(signedIn.length).toBeGreaterThanOrEqual(1);
    expect(new Set(signedIn.map((r) => r.body.handle)).size).toBe(1);
    expect(await a.manager.listSessions('bob')).toHaveLength(1);
  });

  it('an expired row migrates nothing and the old cookie is cleared', async () => {
    const { get, outcomes } = tessera();
    const { cookie, sid } = await oldLogin('carol');
    await pool.query(
      `UPDATE "${schema.schema}".session SET expire = now() - interval '1 second' WHERE sid = $1`,
      [sid],
    );
    const r = await get(cookie);
    expect(r.body.userId).toBeNull();
    expect(r.cookies).toEqual([CLEAR_OLD]);
    expect(outcomes()).toEqual(['expired']);
  });

  it("at the cap (onLimit 'reject'): anonymous, the row back with its expiry, then migrated once there is room", async () => {
    const { get, manager, outcomes } = tessera({ maxSessionsPerUser: 1, onLimit: 'reject' });
    const { cookie: first } = await oldLogin('dora');
    expect((await get(first)).body.userId).toBe('dora');
    const { cookie, sid } = await oldLogin('dora');
    const expire = (await pool.query(`SELECT expire FROM "${schema.schema}".session WHERE sid = $1`, [sid]))
      .rows[0];
    const refused = await get(cookie);
    expect(refused.body.userId).toBeNull();
    expect(refused.cookies).toEqual([]);
    expect(
      (await pool.query(`SELECT expire FROM "${schema.schema}".session WHERE sid = $1`, [sid])).rows[0],
    ).toEqual(expire);
    await manager.revokeAllSessions('dora');
    expect((await get(cookie)).body.userId).toBe('dora');
    expect(outcomes()).toEqual(['ok', 'limit', 'ok']);
  });
});
