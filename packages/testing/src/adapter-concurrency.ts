// Adapter contract case for concurrent writes on one session.
import { describe, expect, it } from 'vitest';
import type { AdapterCaseContext } from './adapter-context.js';

export function describeConcurrencyCases(suite: AdapterCaseContext): void {
  const { timeout, store, browser } = suite;

  describe('concurrency', () => {
    it(
      '50 concurrent writes on one session, each its own key, lose nothing',
      async (ctx) => {
        if (!store().capabilities.atomicMerge) {
          ctx.skip(true, 'capabilities.atomicMerge is false: concurrent writes may be lost');
          return;
        }
        const b = browser();
        await b.state();
        await b.send('POST', '/set', { json: { key: 'seed', value: 0 } });
        const n = 50;
        const replies = await Promise.all(
          Array.from({ length: n }, (_, i) => b.send('POST', '/set', { json: { key: `k${i}`, value: i } })),
        );
        expect(replies.map((r) => r.status)).toEqual(Array(n).fill(204));
        const { data } = (await b.state()).body;
        expect(Object.keys(data)).toHaveLength(n + 1);
        for (let i = 0; i < n; i++) expect(data[`k${i}`]).toBe(i);
      },
      timeout,
    );
  });
}
