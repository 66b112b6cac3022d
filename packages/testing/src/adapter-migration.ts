// Adapter contract case for `migrateFrom`: a request with an express-session cookie answers two Set-Cookies.
import { describe, expect, it } from 'vitest';
import { type AdapterCaseContext, OLD_SECRET, SET_COOKIE_RE } from './adapter-context.js';
import { expressSessionCookie } from './migration-fixtures.js';

const CLEAR_OLD =
  'connect.sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax';

export function describeMigrationCases(suite: AdapterCaseContext): void {
  const { timeout, store, browser, user, oldSessions, clock } = suite;

  describe('moving from express-session', () => {
    it(
      'an old cookie signs its user in: the new session cookie and the old one cleared, in one response',
      async () => {
        const userId = user();
        const sid = `old-${userId}`;
        oldSessions.records.set(sid, {
          value: { cookie: { originalMaxAge: null, expires: null }, userId },
          expiresAt: clock.now() + 60_000,
        });
        const b = browser();
        const old = { cookie: `connect.sid=${expressSessionCookie(sid, OLD_SECRET)}` };
        const r = await b.send('GET', '/state', { headers: old });
        expect(r.status).toBe(200);
        expect(r.body).toMatchObject({ authenticated: true, userId });
        const lines = r.headers.getSetCookie();
        expect(r.sid).toHaveLength(1);
        expect(r.sid[0]).toMatch(SET_COOKIE_RE);
        expect(lines).toContain(CLEAR_OLD);
        expect(r.headers.get('cache-control')).toBe('no-store');
        expect(store().counts.rotate).toBe(1);
        // The new cookie carries the session; the old one, replayed, finds nothing.
        expect((await b.state()).body).toMatchObject({ authenticated: true, userId });
        const replay = await browser().send('GET', '/state', { headers: old });
        expect(replay.body).toMatchObject({ authenticated: false });
        expect(replay.headers.getSetCookie()).toContain(CLEAR_OLD);
      },
      timeout,
    );
  });
}
