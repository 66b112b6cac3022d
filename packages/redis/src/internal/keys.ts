/**
 * Key naming and routing. Every key a script touches is `<prefix>{<tag>}…`, so the hash
 * tag alone decides the Cluster slot: a user's sessions and index share `shardTag(userId)`
 * (a keyed tag, see `shardTags` in the core). Without a tag the braces stay, empty: one
 * layout for every deployment, and standalone Redis has no slots to care about.
 */
import { SessionError } from '@tessera/session-core';

/** Non-empty tags: base36, at most 16 characters (the contract's bound). */
const TAG = /^[0-9a-z]{1,16}$/;

/**
 * A prefix may not contain `{` or `}`: Redis hashes the first `{…}` it finds, so a brace in
 * the prefix would replace the tag and scatter (or pile up) every key. Control characters
 * are refused so keys stay printable in `redis-cli` and logs.
 */
export function validatePrefix(prefix: string, where: string): string {
  if (typeof prefix !== 'string' || prefix.length > 128 || /[{}\p{Cc}\s]/u.test(prefix)) {
    throw new SessionError(
      'invalid_config',
      `[tessera] [redis] ${where} must be a string of at most 128 printable characters without '{', '}' or whitespace, got ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}

/**
 * A tag from a cookie is client input: anything `shardTag` cannot have made is refused. `''`
 * (no tag) only off Cluster: there `{}` would hash the whole key and scatter a script's keys.
 */
export function isValidTag(tag: string, cluster: boolean): boolean {
  return tag === '' ? !cluster : TAG.test(tag);
}

/** The script base for a tag; scripts append `s:<id>` or `u:<userId>`. */
export function baseKey(prefix: string, tag: string): string {
  return `${prefix}{${tag}}`;
}
