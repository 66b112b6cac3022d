// Adversarial case for the key ring: a token signed by a removed key is refused with no store call.

import { describe, expect, it } from 'vitest';
import { type AdversarialContext, K1, K2, SID } from './adversarial-context.js';

export function describeKeyRingAttacks(suite: AdversarialContext): void {
  const {
    timeout,
    client,
    user,
    anonymousWith,
    authenticatedWith,
    rejected,
    store,
    events,
    start,
    managerWith,
  } = suite;

  describe('key ring', () => {
    it(
      'rotation: an old-key token works while its key is listed and is refused (no store call) once removed',
      async () => {
        const both = await start(managerWith({ keys: [K2, K1] }));
        const onlyNew = await start(managerWith({ keys: [K2] }));
        const id = user();
        const old = await client().signIn(id);
        expect(old).toContain('.k1.');
        expect(await authenticatedWith(old, both)).toBe(true);
        const fresh = await client(both).signIn(user());
        expect(fresh).toContain('.k2.');
        expect(await authenticatedWith(fresh, both)).toBe(true);
        store().reset();
        events.length = 0;
        expect(await anonymousWith(`${SID}=${old}`, onlyNew)).toBe(true);
        expect(store().total()).toBe(0);
        expect(rejected()).toEqual(['forged']);
        expect(await authenticatedWith(fresh, onlyNew)).toBe(true);
      },
      timeout,
    );
  });
}
