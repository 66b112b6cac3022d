/**
 * The per-user lock in `<table>_rotate` and `<table>_revoke_all` only makes the cap exact
 * under READ COMMITTED: under REPEATABLE READ or SERIALIZABLE the statement's snapshot
 * predates the lock. Both functions then refuse (fail closed) with a typed error and write
 * nothing; every other operation keeps working.
 */
import { PGlite } from '@electric-sql/pglite';
import { createSessionManager, isSessionError, type StoredSession } from '@tessera/session-core';
import { keyFor, storedSession } from '@tessera/session-testing';
import { createPglite, postgresMissing, postgresUrl } from '@tessera/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, type PostgresClient, type PostgresStore, postgresStore } from '../src/index.js';
import { type Db, request, serverDb } from './helpers.js';

/** What the store rejects with outside READ COMMITTED. */
async function refusal(op: Promise<unknown>, level: string): Promise<void> {
  let error: unknown;
  try {
    await op;
  } catch (e) {
    error = e;
  }
  expect(isSessionError(error, 'invalid_config'), String(error)).toBe(true);
  const message = (error as Error).message;
  expect(message).toMatch(/^\[tessera\] \[postgres\] login and revoke-all refused/);
  expect(message).toContain('needs READ COMMITTED');
  expect(message).toContain(`runs at ${level}`);
  expect(message).toContain('Nothing was written');
}

/** An anonymous session to log in from, created through `store`. */
async function anonymous(store: PostgresStore, now: number): Promise<{ key: ReturnType<typeof keyFor> }> {
  const key = keyFor(store);
  expect(await store.create(key, storedSession({ now, data: { cart: [1] } }), { now })).toBe(true);
  return { key };
}

function login(store: PostgresStore, user: string, now: number, from: ReturnType<typeof keyFor> | null) {
  const session: StoredSession = storedSession({ userId: user, now });
  const key = keyFor(store, user);
  return {
    key,
    session,
    result: store.rotate({
      now,
      from: from && { key: from, userId: null },
      to: { key, session },
      limit: { max: 2, onLimit: 'evict-oldest' },
    }),
  };
}

describe.skipIf(postgresMissing())('isolation levels (real server)', () => {
  let db: Db;
  /** READ COMMITTED, the server default. */
  let committed: PostgresStore;
  const pools: pg.Pool[] = [];
  const storeAt = (level: string) => {
    const pool = new pg.Pool({
      connectionString: postgresUrl(),
      max: 10,
      options: `-c default_transaction_isolation=${level.replace(' ', '\\ ')}`,
    });
    pool.on('error', () => {});
    pools.push(pool);
    return { pool, store: postgresStore({ client: pool, schema: db.schema }) };
  };
  beforeAll(async () => {
    db = await serverDb(10);
    committed = postgresStore({ client: db.client, schema: db.schema });
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await db?.close();
  });

  it('the pools really run at the level asked for', async () => {
    for (const level of ['repeatable read', 'serializable']) {
      const { pool } = storeAt(level);
      const { rows } = await pool.query(`SELECT current_setting('transaction_isolation') AS level`);
      expect(rows).toEqual([{ level }]);
    }
  });

  for (const level of ['repeatable read', 'serializable']) {
    it(`${level.toUpperCase()}: 10 parallel logins with cap 2 are all refused, and nothing is written`, async () => {
      const { store } = storeAt(level);
      const now = Date.now();
      const user = `bob-${level[0]}-${keyFor(store).id.slice(0, 6)}`;
      // Two live sessions already, logged in under READ COMMITTED.
      const seeded = [login(committed, user, now - 2, null), login(committed, user, now - 1, null)];
      for (const s of seeded) expect((await s.result).status).toBe('ok');

      const froms = await Promise.all(Array.from({ length: 10 }, () => anonymous(store, now)));
      const attempts = froms.map((f, i) => login(store, user, now + i, f.key));
      const settled = await Promise.allSettled(attempts.map((a) => a.result));
      for (const s of settled) {
        expect(s.status).toBe('rejected');
        await refusal(Promise.reject((s as PromiseRejectedResult).reason), level.toUpperCase());
      }
      // The cap holds: still exactly the two seeded sessions, none evicted, none added.
      const live = await committed.listUserSessions(user, { now: now + 100 });
      expect(live.map((s) => s.handle)).toEqual(seeded.map((s) => s.session.handle));
      // Nothing consumed: every anonymous session is still there, no new key exists.
      for (const f of froms)
        expect((await store.load(f.key, { now, touchIntervalMs: 60_000 })).status).toBe('found');
      for (const a of attempts)
        expect((await committed.load(a.key, { now, touchIntervalMs: 0 })).status).toBe('missing');
      // An anonymous regenerate (no user, no cap) goes through the same function: refused too.
      const regen = store.rotate({
        now,
        from: { key: froms[0]!.key, userId: null },
        to: { key: keyFor(store), session: storedSession({ now }) },
        limit: null,
      });
      await refusal(regen, level.toUpperCase());
    });

    it(`${level.toUpperCase()}: revoke-all is refused and deletes nothing`, async () => {
      const { store } = storeAt(level);
      const now = Date.now();
      const user = `carol-${level[0]}-${keyFor(store).id.slice(0, 6)}`;
      const a = login(committed, user, now, null);
      expect((await a.result).status).toBe('ok');
      await refusal(store.revokeUserSessions(user, { now }), level.toUpperCase());
      await refusal(store.revokeUserSessions(user, { now, except: a.key }), level.toUpperCase());
      expect(await committed.listUserSessions(user, { now })).toHaveLength(1);
      expect(await committed.revokeUserSessions(user, { now })).toBe(1);
    });
  }

  it('REPEATABLE READ: every other operation still works (load, create, update, destroy, list, revoke one)', async () => {
    const { store } = storeAt('repeatable read');
    const now = Date.now();
    const user = `dave-${keyFor(store).id.slice(0, 6)}`;
    const s = login(committed, user, now, null);
    expect((await s.result).status).toBe('ok');
    const anon = keyFor(store);
    expect(await store.create(anon, storedSession({ now }), { now })).toBe(true);
    expect(await store.update(anon, { set: { a: '1' }, unset: [] }, { now })).toBe('ok');
    const r = await store.load(anon, { now: now + 1, touchIntervalMs: 0 });
    expect(r.status === 'found' && r.session.data).toEqual({ a: '1' });
    expect(await store.listUserSessions(user, { now })).toHaveLength(1);
    expect(await store.revokeUserSessions(user, { now, only: s.session.handle })).toBe(1);
    expect(await store.destroy(anon, { now, userId: null })).toBe(true);
  });

  it('an explicit REPEATABLE READ transaction on a Client is refused; after it, READ COMMITTED works', async () => {
    const client = new pg.Client({ connectionString: postgresUrl() });
    client.on('error', () => {});
    await client.connect();
    try {
      const store = postgresStore({ client, schema: db.schema });
      const now = Date.now();
      const user = `erin-${keyFor(store).id.slice(0, 6)}`;
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await refusal(login(store, user, now, null).result, 'REPEATABLE READ');
      await client.query('ROLLBACK');
      expect((await login(store, user, now, null).result).status).toBe('ok');
      expect(await store.revokeUserSessions(user, { now })).toBe(1);
    } finally {
      await client.end();
    }
  });

  it('READ COMMITTED: 10 parallel logins with cap 2 leave exactly 2', async () => {
    const now = Date.now();
    const user = `frank-${keyFor(committed).id.slice(0, 6)}`;
    const froms = await Promise.all(Array.from({ length: 10 }, () => anonymous(committed, now)));
    const results = await Promise.all(froms.map((f, i) => login(committed, user, now + i, f.key).result));
    expect(results.every((r) => r.status === 'ok')).toBe(true);
    expect(results.flatMap((r) => (r.status === 'ok' ? r.evicted : []))).toHaveLength(8);
    expect(await committed.listUserSessions(user, { now: now + 100 })).toHaveLength(2);
    expect(await committed.revokeUserSessions(user, { now: now + 100 })).toBe(2);
  });

  it('through the manager: a login on a REPEATABLE READ pool fails the request, the typed error as its cause', async () => {
    const { store } = storeAt('repeatable read');
    const manager = createSessionManager({ store });
    const rs = await manager.begin(request(undefined, 'POST'));
    let error: unknown;
    try {
      await rs.session.login('grace');
      await rs.commit();
    } catch (e) {
      error = e;
    }
    // The core reports every store failure as store_unavailable; the store's reason is the cause.
    expect(isSessionError(error, 'store_unavailable')).toBe(true);
    expect(isSessionError((error as Error).cause, 'invalid_config')).toBe(true);
    expect((error as Error).message).toContain('needs READ COMMITTED');
    expect(await committed.listUserSessions('grace', { now: Date.now() })).toEqual([]);
  });
});

describe('isolation levels (PGlite)', () => {
  let db: PGlite;
  let store: PostgresStore;
  beforeAll(async () => {
    db = await createPglite<PGlite>(PGlite);
    await migrate(db);
    store = postgresStore({ client: db as PostgresClient });
  });
  afterAll(() => db?.close());

  it('a session-wide REPEATABLE READ or SERIALIZABLE default refuses login and revoke-all; READ COMMITTED works', async () => {
    const now = Date.now();
    const user = 'henry';
    const first = login(store, user, now, null);
    expect((await first.result).status).toBe('ok');
    for (const level of ['repeatable read', 'serializable']) {
      await db.exec(`SET default_transaction_isolation TO '${level}'`);
      try {
        const from = (await anonymous(store, now)).key;
        const attempt = login(store, user, now + 1, from);
        await refusal(attempt.result, level.toUpperCase());
        await refusal(store.revokeUserSessions(user, { now }), level.toUpperCase());
        expect((await store.load(from, { now, touchIntervalMs: 60_000 })).status).toBe('found');
        expect((await store.load(attempt.key, { now, touchIntervalMs: 0 })).status).toBe('missing');
      } finally {
        await db.exec('RESET default_transaction_isolation');
      }
    }
    expect((await store.listUserSessions(user, { now })).map((s) => s.handle)).toEqual([
      first.session.handle,
    ]);
    expect((await login(store, user, now + 2, null).result).status).toBe('ok');
    expect(await store.revokeUserSessions(user, { now: now + 2 })).toBe(2);
  });
});
