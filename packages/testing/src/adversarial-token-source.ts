// Adversarial case for where a token may come from: only the session cookie, never the query, body or other headers.

import { describe, expect, it } from 'vitest';
import { type AdversarialContext, SID, type StateBody } from './adversarial-context.js';

export function describeTokenSourceAttacks(suite: AdversarialContext): void {
  const { timeout, client, user, store } = suite;

  describe('where a token may come from', () => {
    it(
      'a session id offered in the query string or the body is ignored (no session adopted, no store call)',
      async () => {
        const b = client();
        const token = await b.signIn(user());
        const csrf = b.csrf;
        store().reset();
        const t = encodeURIComponent(token);
        const stranger = client();
        const q = await stranger.send('GET', `/state?${SID}=${t}&sid=${t}&session=${t}&token=${t}`);
        expect((q.body as StateBody).authenticated).toBe(false);
        const p = await stranger.send('GET', `/protected?${SID}=${t}`, {
          headers: { authorization: `Bearer ${token}`, 'x-session-token': token },
        });
        expect(p.status).toBe(401);
        const form = await stranger.send('POST', '/form', {
          form: `${SID}=${t}&sid=${t}&_csrf=${encodeURIComponent(csrf)}`,
          csrf: false,
        });
        expect(form.status).toBe(403);
        const json = await stranger.send('POST', '/set', {
          json: { key: 'k', value: 1, [SID]: token, sid: token },
          headers: { 'x-csrf-token': csrf },
        });
        expect(json.status).toBe(403);
        expect(store().total()).toBe(0);
      },
      timeout,
    );
  });
}
