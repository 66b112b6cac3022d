// Adversarial cases for corrupt stored records: treated as absent, reported and deleted.
import type { StoredSession } from '@tessera/session-core';
import { describe, expect, it } from 'vitest';
import { type AdversarialContext, MIN } from './adversarial-context.js';

export function describeCorruptRecordAttacks(suite: AdversarialContext): void {
  const { timeout, client, rejected, keyOfToken, store, inner, events, clock } = suite;

  describe('corrupt stored records', () => {
    const kinds: [string, (s: StoredSession) => StoredSession][] = [
      ['bad JSON in a value', (s) => ({ ...s, data: { ...s.data, seed: '{not json' } })],
      ['an unknown record version', (s) => ({ ...s, version: 7 as 1 })],
      [
        'a __proto__ data key',
        (s) => {
          const data: Record<string, string> = Object.create(null);
          Object.assign(data, s.data);
          // An own, enumerable "__proto__" key, as JSON.parse would produce it.
          Object.defineProperty(data, '__proto__', {
            value: '{"polluted":true}',
            enumerable: true,
            writable: true,
            configurable: true,
          });
          return { ...s, data };
        },
      ],
      ['a nested constructor key', (s) => ({ ...s, data: { ...s.data, seed: '{"constructor":{"a":1}}' } })],
    ];
    for (const [what, corrupt] of kinds) {
      it(
        `${what}: treated as absent, reported, deleted`,
        async () => {
          const b = client();
          const token = await b.anonymous();
          const key = keyOfToken(token);
          const now = clock.now();
          const found = await inner().load(key, { now, touchIntervalMs: MIN });
          expect(found.status).toBe('found');
          if (found.status !== 'found') return;
          // Written through the store's own API, so it lands in the store's real layout.
          await inner().destroy(key, { now, userId: null });
          expect(await inner().create(key, corrupt(found.session), { now })).toBe(true);
          events.length = 0;
          store().reset();
          const r = await b.state();
          expect(r.body).toMatchObject({ authenticated: false, data: {} });
          expect(rejected()).toEqual(['corrupt']);
          expect(['found', 'corrupt']).not.toContain(
            (await inner().load(key, { now: clock.now(), touchIntervalMs: MIN })).status,
          );
          expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
        },
        timeout,
      );
    }

    it.runIf(Boolean(suite.corrupt))(
      "garbage in the store's own layout (raw write): treated as absent, reported, deleted",
      async () => {
        const b = client();
        const token = await b.anonymous();
        const key = keyOfToken(token);
        await suite.corrupt!(key);
        events.length = 0;
        const r = await b.state();
        expect(r.body).toMatchObject({ authenticated: false, data: {} });
        expect(rejected()).toEqual(['corrupt']);
        expect(['found', 'corrupt']).not.toContain(
          (await inner().load(key, { now: clock.now(), touchIntervalMs: MIN })).status,
        );
      },
      timeout,
    );
  });
}
