// Adversarial cases for defaults an attacker would abuse: data carried across login, anonymous floods evicting users.
import { MemoryStore } from '@tessera/session-core';
import { describe, expect, it } from 'vitest';
import { type AdversarialContext, K1, SID } from './adversarial-context.js';

export function describeDefaultsAttacks(suite: AdversarialContext): void {
  const { timeout, client, user, authenticatedWith, start, managerWith } = suite;

  describe('defaults an attacker would abuse', () => {
    it(
      "planted data not carried: what an attacker put in an anonymous session is not in the victim's signed-in one (issue #13.3)",
      async () => {
        const attacker = client();
        const planted = await attacker.anonymous();
        for (const [key, value] of [
          ['returnTo', 'https://evil.example/phish'],
          ['oauthState', 'attacker-state'],
        ] as const) {
          expect((await attacker.send('POST', '/set', { json: { key, value } })).status).toBe(204);
        }
        const victim = client();
        victim.jar.set(SID, planted);
        expect((await victim.state()).body.data).toEqual({
          seed: 1,
          returnTo: 'https://evil.example/phish',
          oauthState: 'attacker-state',
        });
        const id = user();
        await victim.signIn(id);
        const after = await victim.state();
        expect(after.body).toMatchObject({ authenticated: true, userId: id });
        expect(after.body.data).toEqual({});
      },
      timeout,
    );

    it(
      'anonymous flood leaves signed-in users alone: a memory store full of anonymous sessions evicts only anonymous ones (issue #13.5)',
      async () => {
        const small = await start(
          managerWith({ store: new MemoryStore({ maxEntries: 50, warnInProduction: false }), keys: [K1] }),
        );
        const tokens: string[] = [];
        for (let i = 0; i < 5; i++) tokens.push(await client(small).signIn(user()));
        // Three times maxEntries, six times the anonymous cap (25), each a new anonymous session.
        for (let i = 0; i < 150; i++) {
          const b = client(small);
          await b.state();
          const r = await b.send('POST', '/set', { json: { key: 'flood', value: i } });
          expect(r.status).toBe(204);
        }
        for (const token of tokens) expect(await authenticatedWith(token, small)).toBe(true);
      },
      timeout,
    );
  });
}
