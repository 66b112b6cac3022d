/**
 * Key naming and routing. Every key a script touches is `<prefix>{<tag>}…`, so the hash
 * tag alone decides the Cluster slot: a user's sessions and index share `shardTag(userId)`.
 */
import { xxh32 } from '@node-rs/xxhash';
import { SessionError } from '@tessera/session-core';

/** Tags are what `shardTag` produces: base36, at most 16 characters (the contract's bound). */
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

/** Deterministic for a user (all of a user's sessions share a slot), random for anonymous ones. */
export function shardTag(userId: string | null): string {
  if (userId === null) {
    const word = new Uint32Array(1);
    crypto.getRandomValues(word);
    return word[0]!.toString(36);
  }
  return xxh32(userId).toString(36);
}

/** A tag from a cookie is client input: anything `shardTag` cannot have made is refused. */
export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** The script base for a tag; scripts append `s:<id>` or `u:<userId>`. */
export function baseKey(prefix: string, tag: string): string {
  return `${prefix}{${tag}}`;
}
