// Adversarial cases for what session data may hold: forbidden keys, and the size, key-count and depth bounds (issue #13.2).
import { sizeOfData } from '@tessera/session-core';
import { describe, expect, it } from 'vitest';
import { type AdversarialContext, HOUR } from './adversarial-context.js';

export function describeDataAttacks(suite: AdversarialContext): void {
  const { timeout, client, keyOfToken, store, inner, events, gate, clock } = suite;

  describe('session data keys', () => {
    it(
      'POST /set with a __proto__, constructor or prototype key (or one nested in the value) is refused with 400, never 5xx, and pollutes nothing',
      async () => {
        const b = client();
        await b.anonymous();
        const attempts = [
          { key: '__proto__', value: { polluted: true } },
          { key: 'constructor', value: { prototype: { polluted: true } } },
          { key: 'prototype', value: 1 },
          { key: 'x', value: JSON.parse('{"__proto__":{"polluted":true}}') as unknown },
          { key: 'y', value: [{ constructor: { prototype: { polluted: true } } }] },
        ];
        const statuses: number[] = [];
        for (const json of attempts) statuses.push((await b.send('POST', '/set', { json })).status);
        expect(statuses).toEqual(attempts.map(() => 400));
        expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect((await b.state()).body.data).toEqual({ seed: 1 });
      },
      timeout,
    );
  });

  // Issue #13 item 2: one anonymous client built a 4 MB session that stalled a shared Redis.
  // The managers run the default limits: 64 KiB of data, 256 keys.
  describe('bounded data', () => {
    const TOO_LARGE = { status: 413, body: { error: 'session_too_large' } };

    it(
      'one value past 64 KiB: 413 { error: "session_too_large" }, nothing written, the data as it was; without a session none is created',
      async () => {
        const b = client();
        await b.anonymous();
        store().reset();
        const big = { key: 'big', value: 'x'.repeat(70_000) };
        expect(await b.send('POST', '/set', { json: big })).toMatchObject(TOO_LARGE);
        expect(store().counts.update).toBe(0);
        expect((await b.state()).body.data).toEqual({ seed: 1 });

        const fresh = client();
        await fresh.state();
        store().reset();
        const r = await fresh.send('POST', '/set', { json: big });
        expect(r).toMatchObject(TOO_LARGE);
        expect(r.sid).toEqual([]);
        expect(store().counts.create).toBe(0);
      },
      timeout,
    );

    it(
      'keys past 256: the 257th is 413 and the 256 stay; a key already there still changes',
      async () => {
        const b = client();
        await b.anonymous();
        const keys = Array.from({ length: 255 }, (_, i) => `k${i}`);
        for (let i = 0; i < keys.length; i += 32) {
          const batch = keys.slice(i, i + 32);
          const replies = await Promise.all(
            batch.map((key) => b.send('POST', '/set', { json: { key, value: 1 } })),
          );
          expect(replies.map((r) => r.status)).toEqual(batch.map(() => 204));
        }
        store().reset();
        expect(await b.send('POST', '/set', { json: { key: 'one-more', value: 1 } })).toMatchObject(
          TOO_LARGE,
        );
        expect(store().counts.update).toBe(0);
        expect((await b.send('POST', '/set', { json: { key: 'k0', value: 2 } })).status).toBe(204);
        const data = (await b.state()).body.data;
        expect(Object.keys(data)).toHaveLength(256);
        expect(data).toMatchObject({ seed: 1, k0: 2, k254: 1 });
        expect(data['one-more']).toBeUndefined();
      },
      timeout,
    );

    it(
      'two parallel writes that fit alone but not together: one is 413 (the store refuses it), the data stays within 64 KiB',
      async () => {
        const b = client();
        const token = await b.anonymous();
        const held = gate.arm('update', 2);
        const writes = ['a', 'b'].map((key) =>
          b.send('POST', '/set', { json: { key, value: key.repeat(40_000) } }),
        );
        await held;
        gate.release();
        const replies = await Promise.all(writes);
        expect(replies.map((r) => r.status).sort()).toEqual([204, 413]);
        expect(replies.find((r) => r.status === 413)?.body).toEqual(TOO_LARGE.body);
        const record = await inner().load(keyOfToken(token), { now: clock.now(), touchIntervalMs: HOUR });
        expect(record.status).toBe('found');
        if (record.status !== 'found') return;
        expect(Object.keys(record.session.data)).toHaveLength(2);
        expect(sizeOfData(record.session.data).bytes).toBeLessThanOrEqual(65_536);
        expect(events.filter((e) => e.type === 'store-error')).toEqual([]);
      },
      timeout,
    );

    it(
      'JSON nested 100 levels deep is 400 invalid_data, nothing written; 64 levels and a 60 KB value pass',
      async () => {
        const b = client();
        await b.anonymous();
        const nested = (depth: number) => JSON.parse(`${'['.repeat(depth)}1${']'.repeat(depth)}`) as unknown;
        store().reset();
        const deep = await b.send('POST', '/set', { json: { key: 'deep', value: nested(100) } });
        expect(deep).toMatchObject({ status: 400, body: { error: 'invalid_data' } });
        expect(store().counts.update).toBe(0);
        expect((await b.send('POST', '/set', { json: { key: 'ok', value: nested(64) } })).status).toBe(204);
        const large = 'é'.repeat(30_000);
        expect((await b.send('POST', '/set', { json: { key: 'large', value: large } })).status).toBe(204);
        expect((await b.state()).body.data).toEqual({ seed: 1, ok: nested(64), large });
      },
      timeout,
    );
  });
}
