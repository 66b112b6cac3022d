// Adversarial case for what a token reveals: its routing tag is no unkeyed hash of the user id.
import { xxh32 } from '@node-rs/xxhash';
import { describe, expect, it } from 'vitest';
import type { AdversarialContext } from './adversarial-context.js';
import { tagOf, unkeyedHashesOf } from './adversarial-token-helpers.js';

export function describeTokenRevealAttacks(suite: AdversarialContext): void {
  const { timeout, client, user, inner } = suite;

  describe('what a token reveals', () => {
    it(
      'token tag not the unkeyed hash: a signed-in token carries no tag, or one no unkeyed hash of the user id predicts',
      async () => {
        const ids = [user(), user(), user()];
        const tags: string[] = [];
        for (const id of ids) tags.push(tagOf(await client().signIn(id)));
        ids.forEach((id, i) => {
          // Nothing but the store's routing tag for the user (or nothing at all) is in the token.
          expect(tags[i]).toBe(inner().shardTag?.(id) ?? '');
          if (tags[i] !== '') expect(tags[i], 'xxh32(userId) base36').not.toBe(xxh32(id).toString(36));
        });
        if (tags.every((t) => t === '')) return;
        // Three users, so a keyed tag matching one of these by chance (~1e-6) never fails the case.
        const hashes = ids.map(unkeyedHashesOf);
        hashes[0]!.forEach(([name], j) => {
          const predicted = ids.every((_, i) => {
            const hash = hashes[i]![j]![1];
            return tags[i] !== '' && (hash.startsWith(tags[i]!) || hash.endsWith(tags[i]!));
          });
          expect(predicted, `the tags are cut from ${name} of the user id`).toBe(false);
        });
      },
      timeout,
    );
  });
}
