// Adapter contract cases for a store that fails or hangs: 503 session_store_unavailable, then recovery.
import { describe, expect, it } from 'vitest';
import type { AdapterCaseContext } from './adapter-context.js';

export function describeOutageCases(suite: AdapterCaseContext): void {
  const { timeout, store, browser } = suite;

  describe('store outage', () => {
    for (const mode of ['reject', 'hang'] as const) {
      it(
        `store ${mode === 'reject' ? 'failing' : 'not answering'}: 503 session_store_unavailable, then recovery`,
        async () => {
          const b = browser();
          await b.state();
          await b.send('POST', '/set', { json: { key: 'a', value: 1 } });
          store().mode = mode;
          const r = await b.send('GET', '/state');
          expect(r.status).toBe(503);
          expect(r.body).toEqual({ error: 'session_store_unavailable' });
          store().mode = 'up';
          const back = await b.state();
          expect(back.status).toBe(200);
          expect(back.body.data).toEqual({ a: 1 });
        },
        timeout,
      );
    }

    it(
      'a commit that fails answers 503 and sets no session cookie',
      async () => {
        const b = browser();
        await b.state();
        store().mode = 'reject';
        const r = await b.send('POST', '/set', { json: { key: 'a', value: 1 } });
        expect(r.status).toBe(503);
        expect(r.body).toEqual({ error: 'session_store_unavailable' });
        expect(r.sid).toEqual([]);
      },
      timeout,
    );
  });
}
