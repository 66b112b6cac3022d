// Adversarial cases for tampered, forged, planted and random tokens: refused before (or at one) store call.
import { TokenCodec } from '@tessera/session-core';
import { describe, expect, it } from 'vitest';
import { type AdversarialContext, MIN, SID, type StateBody } from './adversarial-context.js';
import { flipAt } from './adversarial-token-helpers.js';

export function describeSignatureAttacks(suite: AdversarialContext): void {
  const {
    timeout,
    client,
    anonymousWith,
    rejected,
    keyOfToken,
    store,
    inner,
    unsigned,
    events,
    clock,
    codec,
  } = suite;

  describe('signatures and unknown tokens', () => {
    it(
      'bit-flipped (in the id, the key id and the signature), truncated, wrong-key and unsigned tokens cost no store call',
      async () => {
        const b = client();
        const good = await b.anonymous();
        const parts = good.split('.');
        const sig = parts.at(-1)!;
        const rand = parts.at(-3)!;
        const prefix = parts
          .slice(0, -3)
          .map((p) => `${p}.`)
          .join('');
        const randAt = prefix.length;
        const sigAt = good.length - sig.length;
        const foreign = new TokenCodec({
          keys: [{ id: 'k1', secret: 'an-attacker-guess-at-the-signing-key-xyz' }],
        });
        const tampered = [
          flipAt(good, randAt),
          flipAt(good, randAt + 21),
          flipAt(good, randAt + 42),
          flipAt(good, sigAt),
          flipAt(good, sigAt + 20),
          flipAt(good, good.length - 1),
          `${prefix}${rand}.k9.${sig}`,
          good.slice(0, -1),
          good.slice(0, -10),
          good.slice(0, sigAt - 1),
          foreign.toCookieValue(prefix + rand),
          prefix + rand,
        ];
        store().reset();
        events.length = 0;
        for (const value of tampered) {
          expect(value).not.toBe(good);
          expect(await anonymousWith(`${SID}=${value}`), value).toBe(true);
        }
        expect(store().total()).toBe(0);
        expect(rejected()).toHaveLength(tampered.length);
        expect((await b.state()).body.data).toEqual({ seed: 1 });
      },
      timeout,
    );

    it(
      'a well-formed, correctly signed but never-issued token is not adopted: one load, a `rejected` event, no record created, and a write gets a new token',
      async () => {
        const planted = codec.toCookieValue(codec.mint(inner().shardTag?.(null) ?? ''));
        const b = client();
        b.jar.set(SID, planted);
        store().reset();
        events.length = 0;
        const r = await b.state();
        expect(r.body.authenticated).toBe(false);
        expect(store().counts.load).toBe(1);
        expect(store().total()).toBe(1);
        expect(rejected()).toEqual(['unknown']);
        const write = await b.send('POST', '/set', { json: { key: 'k', value: 1 } });
        expect(write.status).toBe(204);
        expect(store().counts.create).toBe(1);
        expect(b.jar.get(SID)).toBeDefined();
        expect(b.jar.get(SID)).not.toBe(planted);
        expect(
          (await inner().load(keyOfToken(planted), { now: clock.now(), touchIntervalMs: MIN })).status,
        ).not.toBe('found');
      },
      timeout,
    );

    it('1,000 random well-formed tokens from one client (no key ring): no record created, one `rejected` event and exactly one store call each', async () => {
      const tag = inner().shardTag?.(null) ?? '';
      const n = 1_000;
      const b = client(unsigned());
      for (let i = 0; i < n; i++) {
        const token = tag ? `${tag}.${codec.randomToken()}` : codec.randomToken();
        const r = await b.send('GET', '/state', { headers: { cookie: `${SID}=${token}` } });
        expect(r.status).toBe(200);
        if ((r.body as StateBody).authenticated) expect.fail(`random token ${i} was adopted`);
      }
      expect(store().counts.load).toBe(n);
      expect(store().total()).toBe(n);
      expect(store().counts.create).toBe(0);
      const reasons = rejected();
      expect(reasons).toHaveLength(n);
      expect(new Set(reasons)).toEqual(new Set(['unknown']));
    }, 30_000);
  });
}
