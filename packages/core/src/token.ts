/**
 * Session tokens: what the cookie carries, how it is signed, and how stores see it.
 *
 * Grammar of a cookie value (every part checked, nothing else accepted):
 *   value = sid [ "." kid "." sig ]      (signed form only when a key ring is configured)
 *   sid   = [ tag "." ] rand
 *   rand  = 43 base64url chars (256 bits from the CSPRNG)
 *   tag   = 1-16 chars [0-9a-z]           (the store's routing tag, see SessionStore.shardTag)
 *   kid   = 1-16 chars [A-Za-z0-9_-]
 *   sig   = 43 base64url chars (HMAC-SHA-256 of the sid under the key `kid`)
 * Stores see only `keyOf(sid)`: the SHA-256 (or HMAC under `atRestSecret`) of the sid.
 */
import { SessionError } from './errors.js';
import {
  base64UrlValue,
  fromBase64Url,
  randomBytes,
  timingSafeEqual,
  toBase64Url,
  utf8,
} from './internal/bytes.js';
import { hmacSha256, sha256Base64Url } from './internal/hash.js';
import type { SessionKey } from './store.js';

export interface SigningKey {
  /** Short public id written into the cookie, `[A-Za-z0-9_-]{1,16}`. */
  readonly id: string;
  /** At least 32 bytes (a string is taken as UTF-8). */
  readonly secret: string | Uint8Array;
}

export interface TokenOptions {
  /**
   * HMAC key ring. The FIRST key signs new tokens; every listed key verifies. Remove a key
   * to reject every cookie it signed. Forged or unsigned cookies are then refused before
   * any store lookup. @default undefined (tokens are unsigned; the at-rest lookup decides)
   */
  readonly keys?: readonly SigningKey[];
  /**
   * Secret for the at-rest hash (HMAC-SHA-256 instead of SHA-256), so a store dump cannot
   * even be matched against guessed tokens. Changing it invalidates every session.
   * @default undefined (SHA-256)
   */
  readonly atRestSecret?: string | Uint8Array;
  /** Randomness source, for deterministic tests. @default crypto.getRandomValues */
  readonly randomBytes?: (length: number) => Uint8Array;
}

export type ParsedToken =
  | { readonly ok: true; readonly sid: string; readonly tag: string }
  | { readonly ok: false; readonly reason: 'malformed' | 'forged' };

const RAND_RE = /^[A-Za-z0-9_-]{43}$/;
const TAG_RE = /^[0-9a-z]{1,16}$/;
const KID_RE = /^[A-Za-z0-9_-]{1,16}$/;
const MIN_SECRET_BYTES = 32;
const SIG_DOMAIN = 'tessera/sig/v1\0';
const CSRF_DOMAIN = 'tessera/csrf/v1\0';
const PRE_SESSION_DOMAIN = 'tessera/csrf-pre/v1\0';

/** 43 base64url chars that spell 32 bytes canonically (the last char's 2 spare bits zero). */
function isRand(text: string): boolean {
  return RAND_RE.test(text) && (base64UrlValue(text.charCodeAt(42)) & 3) === 0;
}

function secretBytes(secret: string | Uint8Array, what: string): Uint8Array {
  const bytes = typeof secret === 'string' ? utf8(secret) : secret;
  if (!(bytes instanceof Uint8Array) || bytes.length < MIN_SECRET_BYTES) {
    throw new SessionError('invalid_config', `${what} must be at least ${MIN_SECRET_BYTES} bytes.`);
  }
  // A copy: the caller's array changing later must not change (or desynchronise) the key.
  return Uint8Array.from(bytes);
}

export class TokenCodec {
  readonly #keys: ReadonlyMap<string, Uint8Array>;
  readonly #signer: { id: string; secret: Uint8Array } | undefined;
  readonly #atRest: Uint8Array | undefined;
  readonly #random: (length: number) => Uint8Array;
  readonly #preSessionKey: Uint8Array;

  constructor(options: TokenOptions = {}) {
    const keys = new Map<string, Uint8Array>();
    for (const key of options.keys ?? []) {
      if (typeof key?.id !== 'string' || !KID_RE.test(key.id)) {
        throw new SessionError(
          'invalid_config',
          `signing key id must match ${KID_RE}; got ${JSON.stringify(key?.id)}.`,
        );
      }
      if (keys.has(key.id)) throw new SessionError('invalid_config', `duplicate signing key id "${key.id}".`);
      keys.set(key.id, secretBytes(key.secret, `signing key "${key.id}"`));
    }
    this.#keys = keys;
    const first = options.keys?.[0];
    this.#signer = first ? { id: first.id, secret: keys.get(first.id)! } : undefined;
    this.#atRest =
      options.atRestSecret === undefined ? undefined : secretBytes(options.atRestSecret, 'atRestSecret');
    this.#random = options.randomBytes ?? randomBytes;
    // Always keyed. Without a configured secret the key is this process's own, so a
    // pre-session token verifies only on the instance that issued it (see the README).
    this.#preSessionKey = this.#atRest ?? this.#signer?.secret ?? randomBytes(32);
  }

  get signed(): boolean {
    return this.#signer !== undefined;
  }

  /** A new sid: 256 random bits, with the store's routing tag when it has one. */
  mint(tag = ''): string {
    const bytes = this.#random(32);
    if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
      throw new SessionError('invalid_config', 'randomBytes(32) must return 32 bytes.');
    }
    const rand = toBase64Url(bytes);
    if (tag === '') return rand;
    if (!TAG_RE.test(tag)) throw new SessionError('invalid_config', `store shard tag must match ${TAG_RE}.`);
    return `${tag}.${rand}`;
  }

  /** What goes in the cookie: the sid, signed with the newest key when there is a key ring. */
  toCookieValue(sid: string): string {
    if (!this.#signer) return sid;
    return `${sid}.${this.#signer.id}.${this.#sign(this.#signer.secret, this.#signer.id, sid)}`;
  }

  /** Parse and verify a cookie value. Pure CPU: no store access, no exceptions. */
  parse(value: string): ParsedToken {
    if (value.length === 0 || value.length > 200) return MALFORMED;
    // The usual cookie (unsigned, untagged): no split, no decode.
    if (value.length === 43 && !this.#signer && isRand(value)) return { ok: true, sid: value, tag: '' };
    const parts = value.split('.');
    let tag = '';
    let rand: string;
    let kid: string | undefined;
    let sig: string | undefined;
    switch (parts.length) {
      case 1:
        rand = parts[0]!;
        break;
      case 2:
        [tag, rand] = parts as [string, string];
        break;
      case 3:
        [rand, kid, sig] = parts as [string, string, string];
        break;
      case 4:
        [tag, rand, kid, sig] = parts as [string, string, string, string];
        break;
      default:
        return MALFORMED;
    }
    if (!isRand(rand)) return MALFORMED;
    if (parts.length % 2 === 0 && !TAG_RE.test(tag)) return MALFORMED;
    const sid = tag === '' ? rand : `${tag}.${rand}`;
    if (kid === undefined) {
      // With a key ring, an unsigned token is a forgery attempt, not a format error.
      return this.#signer ? FORGED : { ok: true, sid, tag };
    }
    if (!KID_RE.test(kid) || sig === undefined || !RAND_RE.test(sig)) return MALFORMED;
    if (!this.#signer) return MALFORMED;
    const secret = this.#keys.get(kid);
    const given = fromBase64Url(sig);
    if (!secret || !given) return FORGED;
    const expected = hmacSha256(secret, `${SIG_DOMAIN}${kid}\0${sid}`);
    return timingSafeEqual(given, expected) ? { ok: true, sid, tag } : FORGED;
  }

  /** The store key of a sid: its at-rest hash and routing tag. */
  keyOf(sid: string, tag: string): SessionKey {
    const id = this.#atRest ? toBase64Url(hmacSha256(this.#atRest, sid)) : sha256Base64Url(sid);
    return { id, tag };
  }

  /** The session's synchronizer CSRF token: bound to the sid, useless for recovering it. */
  csrfTokenOf(sid: string): string {
    const domainKey = this.#atRest ?? this.#signer?.secret;
    return domainKey
      ? toBase64Url(hmacSha256(domainKey, CSRF_DOMAIN + sid))
      : sha256Base64Url(CSRF_DOMAIN + sid);
  }

  /**
   * The pre-session CSRF token of a pre-session cookie value (login forms): an HMAC under a
   * server key, so the cookie value alone does not give it.
   */
  preSessionTokenOf(cookieValue: string): string {
    return toBase64Url(hmacSha256(this.#preSessionKey, PRE_SESSION_DOMAIN + cookieValue));
  }

  /** A random value for the pre-session CSRF cookie (login forms). */
  randomToken(): string {
    return toBase64Url(this.#random(32));
  }

  #sign(secret: Uint8Array, kid: string, sid: string): string {
    return toBase64Url(hmacSha256(secret, `${SIG_DOMAIN}${kid}\0${sid}`));
  }
}

const MALFORMED: ParsedToken = Object.freeze({ ok: false, reason: 'malformed' });
const FORGED: ParsedToken = Object.freeze({ ok: false, reason: 'forged' });

/** Public handle of a session: a prefix of its at-rest hash. Safe in logs and UIs. */
export function handleOf(key: SessionKey): string {
  return key.id.slice(0, 16);
}

/** A short, log-safe hash of any value (e.g. a user agent): 12 base64url chars of SHA-256. */
export function shortHash(value: string): string {
  return sha256Base64Url(value).slice(0, 12);
}
