// Adapter contract cases for expiry on the injected clock: idle and absolute timeouts.
import { describe, expect, it } from 'vitest';
import { type AdapterCaseContext, MIN } from './adapter-context.js';

export function describeExpiryCases(suite: AdapterCaseContext): void {
  const { timeout, clock, browser, user } = suite;

  describe('expiry (injected clock)', () => {
    it(
      'an idle session expires after idleTimeoutMs',
      async () => {
        const b = browser();
        await b.login(user());
        clock.advance(29 * MIN);
        expect((await b.state()).body.authenticated).toBe(true);
        clock.advance(31 * MIN);
        const r = await b.state();
        expect(r.status).toBe(200);
        expect(r.body.authenticated).toBe(false);
      },
      timeout,
    );

    it(
      'an active session still ends at its absolute deadline',
      async () => {
        const b = browser();
        await b.login(user());
        for (let i = 0; i < 5; i++) {
          clock.advance(20 * MIN);
          expect((await b.state()).body.authenticated, `after ${(i + 1) * 20} min`).toBe(true);
        }
        clock.advance(21 * MIN);
        expect((await b.state()).body.authenticated).toBe(false);
      },
      timeout,
    );
  });
}
