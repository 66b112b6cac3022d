// Adversarial cases for the CSRF token itself: missing, foreign, cross-site, and login CSRF.
import { describe, expect, it } from 'vitest';
import type { AdversarialContext } from './adversarial-context.js';

export function describeCsrfTokenAttacks(suite: AdversarialContext): void {
  const { timeout, client, user, store } = suite;

  describe('CSRF', () => {
    it(
      "a missing token, another session's token, a cross-site Sec-Fetch-Site and Origin: null are refused with 403 and write nothing",
      async () => {
        const b = client();
        await b.signIn(user());
        const other = client();
        await other.signIn(user());
        const attempts: { headers?: Record<string, string> }[] = [
          {},
          { headers: { 'x-csrf-token': other.csrf } },
          { headers: { 'x-csrf-token': b.csrf, 'sec-fetch-site': 'cross-site' } },
          { headers: { 'x-csrf-token': b.csrf, origin: 'null' } },
          { headers: { 'x-csrf-token': b.csrf, origin: 'https://evil.example' } },
        ];
        for (const [i, extra] of attempts.entries()) {
          const r = await b.send('POST', '/set', {
            json: { key: 'evil', value: i },
            csrf: false,
            ...extra,
          });
          expect(r.status, JSON.stringify(extra)).toBe(403);
          expect(r.body).toEqual({ error: 'csrf' });
        }
        expect((await b.state()).body.data).toEqual({});
      },
      timeout,
    );

    it(
      'login CSRF: a login POST without the matching pre-session cookie and token pair is refused',
      async () => {
        const victim = client();
        const attacker = client();
        await attacker.state();
        const forged = [
          // No cookie, no token (a cross-site form post with no prior visit).
          { headers: {} as Record<string, string> },
          // The attacker's own token, without the attacker's pre-session cookie.
          { headers: { 'x-csrf-token': attacker.csrf } },
        ];
        store().reset();
        for (const init of forged) {
          const r = await victim.send('POST', '/login', {
            json: { userId: 'attacker' },
            csrf: false,
            ...init,
          });
          expect(r.status).toBe(403);
        }
        // The victim has a pre-session cookie of their own; the attacker's token still fails.
        await victim.state();
        const mixed = await victim.send('POST', '/login', {
          json: { userId: 'attacker' },
          headers: { 'x-csrf-token': attacker.csrf },
        });
        expect(mixed.status).toBe(403);
        const noToken = await victim.send('POST', '/login', { json: { userId: 'attacker' }, csrf: false });
        expect(noToken.status).toBe(403);
        expect(store().total()).toBe(0);
        expect((await victim.state()).body.authenticated).toBe(false);
        const id = user();
        const ok = await victim.send('POST', '/login', { json: { userId: id } });
        expect(ok.status).toBe(200);
      },
      timeout,
    );
  });
}
