/**
 * "No cap" (`maxSessionsPerUser: Infinity`) reaches the store as `limit.max =
 * Number.MAX_SAFE_INTEGER`, beyond the rotate function's `integer` parameter: the store
 * clamps it to 2^31 - 1, which is no cap either.
 */
import { createSessionManager } from '@tessera/session-core';
import { keyFor, storedSession } from '@tessera/session-testing';
import { postgresMissing } from '@tessera/test-support';
import { describe, expect, it } from 'vitest';
import { type Db, openStore, pgliteDb, request, serverDb, sessionCookie } from './helpers.js';

function noCap(name: string, open: () => Promise<Db>): void {
  describe(`no session cap: ${name}`, () => {
    const t = openStore(open);

    it('limit.max = Number.MAX_SAFE_INTEGER (and other caps past 2^31 - 1) logs in; every session stays live', async () => {
      const now = Date.now();
      const user = `u-${keyFor(t.store).id.slice(0, 8)}`;
      const caps = [
        { max: Number.MAX_SAFE_INTEGER, onLimit: 'evict-oldest' },
        { max: Number.MAX_SAFE_INTEGER, onLimit: 'reject' },
        { max: 2 ** 31, onLimit: 'evict-oldest' },
        { max: 2 ** 31 - 1, onLimit: 'reject' },
        { max: 2 ** 53 - 1, onLimit: 'evict-oldest' },
        { max: Number.MAX_SAFE_INTEGER, onLimit: 'evict-oldest' },
      ] as const;
      const handles: string[] = [];
      for (const [i, limit] of caps.entries()) {
        const session = storedSession({ userId: user, now: now + i });
        handles.push(session.handle);
        const anon = keyFor(t.store);
        await t.store.create(anon, storedSession({ now: now + i }), { now: now + i });
        const r = await t.store.rotate({
          now: now + i,
          from: { key: anon, userId: null },
          to: { key: keyFor(t.store, user), session },
          limit,
        });
        expect(r).toEqual({ status: 'ok', evicted: [] });
      }
      const live = await t.store.listUserSessions(user, { now: now + caps.length });
      expect(live.map((s) => s.handle)).toEqual(handles);
    });

    it('a manager with maxSessionsPerUser: Infinity logs in again and again', async () => {
      const manager = createSessionManager({ store: t.store, maxSessionsPerUser: Number.POSITIVE_INFINITY });
      const user = `inf-${keyFor(t.store).id.slice(0, 8)}`;
      const cookies: string[] = [];
      for (let i = 0; i < 7; i++) {
        const rs = await manager.begin(request(undefined, 'POST'));
        await rs.session.login(user);
        const cookie = sessionCookie(await rs.commit());
        expect(cookie).toBeDefined();
        cookies.push(cookie!);
      }
      expect(await manager.listSessions(user)).toHaveLength(7);
      // Each of them still loads as that user.
      for (const cookie of cookies) {
        const rs = await manager.begin(request(cookie));
        expect(rs.session.userId).toBe(user);
        await rs.commit();
      }
    });
  });
}

noCap('PGlite', pgliteDb);
describe.skipIf(postgresMissing())('real server', () => noCap('server', () => serverDb(4)));
