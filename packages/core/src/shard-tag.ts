/**
 * Routing tags for stores that keep a user's sessions next to the user's index
 * (`SessionStore.shardTag`). The tag travels in every token, in the clear, so it must say
 * nothing about the user: it is an HMAC of the user id under a server secret, or absent.
 * A plain hash would let anyone holding a token link the user's sessions and brute-force a
 * small user-id space offline.
 *
 * The tag is short on purpose: 4 base36 characters (36^4 ≈ 1.68 M values, about 100 per
 * Redis Cluster slot, so slots and servers fill evenly). Users share tags once there are
 * many of them; that collision is harmless (index keys still name the user) and caps what a
 * tag can say to ~20.7 bits even to someone who learns the secret.
 */
import { SessionError } from './errors.js';
import { randomBytes, utf8 } from './internal/bytes.js';
import { hmacSha256 } from './internal/hash.js';

/** Every tag these helpers make is exactly this many characters of `[0-9a-z]`. */
export const SHARD_TAG_LENGTH = 4;

const SPACE = 36 ** SHARD_TAG_LENGTH;
const MIN_SECRET_BYTES = 32;
const TAG_CACHE_SIZE = 10_000;
// Domain separation: the same secret reused elsewhere never yields these values.
const DOMAIN = 'tessera/shard-tag/v1\0';

export interface ShardTagsOptions {
  /** The store's name, for messages (`[tessera] [<store>] …`). */
  readonly store: string;
  /** The store's `tagSecret` option as given: at least 32 bytes, a string is taken as UTF-8. */
  readonly secret: string | Uint8Array | undefined;
  /**
   * What in this deployment needs a user's sessions co-located (e.g. `'a Redis Cluster'`),
   * or `undefined` when one server holds everything. Without a secret that is refused.
   */
  readonly neededFor?: string | undefined;
}

export interface ShardTags {
  /** Whether tokens carry a tag at all (only with a secret). */
  readonly keyed: boolean;
  /** `SessionStore.shardTag`: keyed per user, random for anonymous, `''` for all without a secret. */
  of(userId: string | null): string;
  /**
   * Whether a session of `userId` kept under `tag` is where this store finds that user's
   * sessions (its index). Anonymous sessions have no index, so any tag is theirs.
   */
  owns(tag: string, userId: string | null): boolean;
}

/** Four base36 characters from the first 32 bits (the modulo bias, < 1/2,500, is harmless for routing). */
function encode(bytes: Uint8Array): string {
  const n = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  return (n % SPACE).toString(36).padStart(SHARD_TAG_LENGTH, '0');
}

/**
 * The routing tags of a store, validated once at construction: with `secret`, user tags are
 * HMAC-SHA-256(secret, userId) truncated; without one every tag is `''`, and a deployment that
 * needs co-location (`neededFor`) is refused with `invalid_config`.
 */
export function shardTags(options: ShardTagsOptions): ShardTags {
  const where = `[tessera] [${options.store}]`;
  if (options.secret === undefined) {
    if (options.neededFor !== undefined) {
      throw new SessionError(
        'invalid_config',
        `${where} ${options.neededFor} needs \`tagSecret\` (at least 32 random bytes, kept like a signing key): ` +
          "a user's sessions must share a slot or server with the user's index, so tokens carry a routing tag, " +
          'and only a keyed tag reveals nothing about the user.',
      );
    }
    return { keyed: false, of: () => '', owns: (tag, userId) => userId === null || tag === '' };
  }
  const bytes = typeof options.secret === 'string' ? utf8(options.secret) : options.secret;
  if (!(bytes instanceof Uint8Array) || bytes.length < MIN_SECRET_BYTES) {
    throw new SessionError(
      'invalid_config',
      `${where} \`tagSecret\` must be a string or Uint8Array of at least ${MIN_SECRET_BYTES} bytes.`,
    );
  }
  // A copy: the caller changing its array later must not move every user to another tag.
  const key = Uint8Array.from(bytes);
  // Every signed-in read checks its tag (`owns`): remember recent users' tags rather than
  // compute an HMAC per request. Bounded; dropped whole when full (it refills in one HMAC each).
  const cache = new Map<string, string>();
  const userTag = (userId: string): string => {
    let tag = cache.get(userId);
    if (tag === undefined) {
      tag = encode(hmacSha256(key, DOMAIN + userId));
      if (cache.size >= TAG_CACHE_SIZE) cache.clear();
      cache.set(userId, tag);
    }
    return tag;
  };
  const of = (userId: string | null) => (userId === null ? encode(randomBytes(4)) : userTag(userId));
  return { keyed: true, of, owns: (tag, userId) => userId === null || tag === userTag(userId) };
}
