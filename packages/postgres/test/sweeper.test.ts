import { keyFor, sleep, storedSession } from '@tessera/session-testing';
import { postgresMissing, waitFor } from '@tessera/test-support';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { postgresStore, startSweeper, sweepExpired } from '../src/index.js';
import { counting, type Db, pgliteDb, serverDb } from './helpers.js';

const HOUR = 3_600_000;

/** `count` rows expiring at `expiresAt` (ms), inserted by one statement. */
async function seed(db: Db, count: number, expiresAt: number, prefix: string): Promise<void> {
  await db.client.query(
    `INSERT INTO "${db.schema}".tessera_sessions (id, handle, version, created_at, last_seen_at, idle_timeout_ms, absolute_expires_at, expires_at)
     SELECT $1 || g, 'h' || g, 1, e - interval '1 hour', e - interval '1 hour', 0, e, e
     FROM generate_series(1, $2::integer) AS g, (SELECT to_timestamp($3::float8 / 1000) AS e) AS x`,
    [prefix, count, expiresAt],
  );
}

async function remaining(db: Db, prefix: string): Promise<number> {
  const { rows } = await db.client.query(
    `SELECT count(*)::float8 AS n FROM "${db.schema}".tessera_sessions WHERE id LIKE $1 || '%'`,
    [prefix],
  );
  return (rows[0] as { n: number }).n;
}

describe('sweeper (PGlite)', () => {
  let db: Db;
  beforeAll(async () => {
    db = await pgliteDb();
  });
  afterAll(() => db.close());

  it('removes only expired rows, in bounded batches, and reports the count', async () => {
    const now = Date.now();
    await seed(db, 5, now - 1, 'old-');
    await seed(db, 3, now, 'edge-'); // expires exactly now: expired (`now >= expiresAt`)
    await seed(db, 4, now + HOUR, 'live-');
    const { client, statements } = counting(db.client);
    expect(await sweepExpired(client, { now, batchSize: 3, maxBatches: 2 })).toBe(6);
    expect(statements).toHaveLength(2);
    statements.length = 0;
    expect(await sweepExpired(client, { now, batchSize: 3 })).toBe(2);
    expect(statements).toHaveLength(1);
    expect(await remaining(db, 'old-')).toBe(0);
    expect(await remaining(db, 'edge-')).toBe(0);
    expect(await remaining(db, 'live-')).toBe(4);
    expect(await sweepExpired(client, { now })).toBe(0);
  });

  it("removes the login throttle's expired counters, and only those", async () => {
    const store = postgresStore({ client: db.client });
    const now = Date.now();
    const windows = { accountWindowMs: 60_000, ipWindowMs: 30_000 };
    await store.throttle.fail(
      { account: 'A'.repeat(43), ip: 'I'.repeat(43) },
      { now: now - 45_000, ...windows },
    );
    const rows = async () =>
      (
        (await db.client.query(`SELECT key FROM "${db.schema}".tessera_sessions_throttle ORDER BY key`))
          .rows as {
          key: string;
        }[]
      ).map((r) => r.key);
    expect(await rows()).toEqual([`a:${'A'.repeat(43)}`, `i:${'I'.repeat(43)}`]);
    // The address's window ended 15 s ago, the account's has 15 s left.
    expect(await sweepExpired(db.client, { now })).toBe(1);
    expect(await rows()).toEqual([`a:${'A'.repeat(43)}`]);
  });

  it('an expired row that was never swept is dead to every operation', async () => {
    const store = postgresStore({ client: db.client });
    const t0 = Date.now();
    const later = t0 + 31 * 60_000;
    const key = keyFor(store);
    await store.create(key, storedSession({ now: t0, data: { a: 1 } }), { now: t0 });
    // Handed back untouched (the core reports the expiry and deletes it), never touched.
    const seen = await store.load(key, { now: later, touchIntervalMs: 0 });
    expect(seen.status === 'found' && seen.touched).toBe(false);
    expect(seen.status === 'found' && seen.session.lastSeenAt).toBe(t0);
    expect(await store.update(key, { set: { b: '1' }, unset: [] }, { now: later })).toBe('missing');
    const to = keyFor(store, 'u-expired');
    const rotated = await store.rotate({
      now: later,
      from: { key, userId: null },
      to: { key: to, session: storedSession({ userId: 'u-expired', now: later }) },
      limit: null,
    });
    expect(rotated.status).toBe('conflict');
    // The key is free again: a new session may take it.
    expect(
      await store.create(key, storedSession({ now: later, data: { fresh: true } }), { now: later }),
    ).toBe(true);
    const r = await store.load(key, { now: later, touchIntervalMs: 0 });
    expect(r.status === 'found' && Object.keys(r.session.data)).toEqual(['fresh']);
    expect(await store.destroy(key, { now: later + 9 * HOUR, userId: null })).toBe(false);
  });

  it('runs on an unref`d timer, reports each sweep, and stops', async () => {
    const intervalMs = 37;
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const removed: number[] = [];
    const t0 = Date.now();
    await seed(db, 7, t0 - 1, 'timer-');
    const sweeper = startSweeper(db.client, { intervalMs, onSweep: (n) => removed.push(n), batchSize: 100 });
    try {
      const timers = spy.mock.results
        .filter((_, i) => spy.mock.calls[i]?.[1] === intervalMs)
        .map((r) => r.value as NodeJS.Timeout);
      expect(timers.length).toBeGreaterThan(0);
      expect(timers.every((t) => !t.hasRef())).toBe(true);
      await waitFor(() => removed.length >= 2, 5000, 'two sweeps');
      expect(removed[0]).toBe(7);
      expect(removed.slice(1).every((n) => n === 0)).toBe(true);
    } finally {
      spy.mockRestore();
      await sweeper.stop();
    }
    const after = removed.length;
    await sleep(intervalMs * 4);
    expect(removed.length).toBe(after);
    expect(await remaining(db, 'timer-')).toBe(0);
  });

  it('a failing sweep is reported and retried on the next tick', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const flaky = {
      query: (text: string, params?: unknown[]) => {
        calls++;
        return calls === 1 ? Promise.reject(new Error('boom')) : db.client.query(text, params);
      },
    };
    const sweeper = startSweeper(flaky, { intervalMs: 20, onError: (e) => errors.push(e) });
    try {
      await waitFor(() => calls >= 2, 5000, 'a retried sweep');
    } finally {
      await sweeper.stop();
    }
    expect(errors).toHaveLength(1);
  });
});

describe.skipIf(postgresMissing())('sweeper (real server)', () => {
  let db: Db;
  beforeAll(async () => {
    db = await serverDb(2);
  });
  afterAll(() => db?.close());

  it('clears 100,000 expired rows (timing printed, not asserted)', async () => {
    const now = Date.now();
    await seed(db, 100_000, now - 1000, 'bulk-');
    await seed(db, 10, now + HOUR, 'keep-');
    await db.client.query(`ANALYZE "${db.schema}".tessera_sessions`);
    const { client, statements } = counting(db.client);
    const t0 = performance.now();
    const removed = await sweepExpired(client, { schema: db.schema, now });
    const ms = performance.now() - t0;
    process.stdout.write(
      `\n[postgres sweeper] removed ${removed} expired rows in ${ms.toFixed(0)} ms (${statements.length} batches of <= 5000)\n`,
    );
    expect(removed).toBe(100_000);
    expect(await remaining(db, 'keep-')).toBe(10);
  }, 60_000);
});
