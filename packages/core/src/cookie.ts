/**
 * Cookie codec: bounded parsing of a raw `Cookie` header and validated `Set-Cookie`
 * serialisation. Names are compared byte for byte: never percent-decoded and never trimmed
 * of anything but SP/HTAB, so `%5F%5FHost-sid` or a leading U+00A0 never match `__Host-sid`.
 */
import { SessionError } from './errors.js';

export type SameSite = 'lax' | 'strict' | 'none';

export interface CookieOptions {
  /** Cookie name. @default '__Host-sid' when `secure`, else 'sid' */
  readonly name?: string;
  /** @default true. Only turn off for plain-http development. */
  readonly secure?: boolean;
  /** @default true */
  readonly httpOnly?: boolean;
  /** @default 'lax' */
  readonly sameSite?: SameSite;
  /** @default '/' */
  readonly path?: string;
  /** @default undefined (host-only; required for `__Host-` names) */
  readonly domain?: string;
  /**
   * Persist across browser restarts with `Max-Age` up to the absolute deadline. The server
   * enforces every timeout either way. @default false (a browser-session cookie)
   */
  readonly persistent?: boolean;
  /** CHIPS `Partitioned` attribute. @default false */
  readonly partitioned?: boolean;
}

export interface ResolvedCookieOptions {
  readonly name: string;
  readonly secure: boolean;
  readonly httpOnly: boolean;
  readonly sameSite: SameSite;
  readonly path: string;
  readonly domain: string | undefined;
  readonly persistent: boolean;
  readonly partitioned: boolean;
}

/** The secure defaults, in one place. */
export const DEFAULT_COOKIE_OPTIONS: Readonly<Omit<ResolvedCookieOptions, 'name'>> = Object.freeze({
  secure: true,
  httpOnly: true,
  sameSite: 'lax',
  path: '/',
  domain: undefined,
  persistent: false,
  partitioned: false,
});

export interface CookieLimits {
  /** A longer `Cookie` header is ignored whole. @default 16384 */
  readonly maxHeaderBytes: number;
  /** Pairs beyond this are not looked at. @default 256 */
  readonly maxPairs: number;
}

export const DEFAULT_COOKIE_LIMITS: CookieLimits = Object.freeze({ maxHeaderBytes: 16384, maxPairs: 256 });

// RFC 6265 / 9110 token and cookie-octet; anything else is refused at start-up.
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COOKIE_VALUE_RE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
const PATH_RE = /^\/[\x20-\x3A\x3C-\x7E]*$/;
const DOMAIN_RE =
  /^\.?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const MAX_COOKIE_BYTES = 4096;

function fail(message: string): never {
  throw new SessionError('invalid_config', `cookie: ${message}`);
}

function checkBoolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') fail(`${what} must be a boolean, got ${JSON.stringify(value)}.`);
  return value;
}

/** Resolve and validate cookie options once, at start-up. Throws `invalid_config` with the reason. */
export function resolveCookieOptions(
  options: CookieOptions = {},
  fallbackName = 'sid',
): ResolvedCookieOptions {
  const d = DEFAULT_COOKIE_OPTIONS;
  const secure = checkBoolean(options.secure ?? d.secure, 'secure');
  const name = options.name ?? (secure ? `__Host-${fallbackName}` : fallbackName);
  if (typeof name !== 'string' || !TOKEN_RE.test(name)) {
    fail(
      `name ${JSON.stringify(name)} is not a valid cookie name (RFC 6265 token: no spaces, ";", "=", CR or LF).`,
    );
  }
  const sameSiteRaw = options.sameSite ?? d.sameSite;
  const sameSite = typeof sameSiteRaw === 'string' ? (sameSiteRaw.toLowerCase() as SameSite) : undefined;
  if (sameSite !== 'lax' && sameSite !== 'strict' && sameSite !== 'none') {
    fail(`sameSite must be 'lax', 'strict' or 'none', got ${JSON.stringify(sameSiteRaw)}.`);
  }
  const path = options.path ?? d.path;
  if (typeof path !== 'string' || !PATH_RE.test(path)) {
    fail(
      `path ${JSON.stringify(path)} must start with "/" and contain no ";", CR, LF or control characters.`,
    );
  }
  const domain = options.domain;
  if (
    domain !== undefined &&
    (typeof domain !== 'string' || !DOMAIN_RE.test(domain) || domain.length > 253)
  ) {
    fail(`domain ${JSON.stringify(domain)} is not a valid host name.`);
  }
  const resolved: ResolvedCookieOptions = Object.freeze({
    name,
    secure,
    httpOnly: checkBoolean(options.httpOnly ?? d.httpOnly, 'httpOnly'),
    sameSite,
    path,
    domain,
    persistent: checkBoolean(options.persistent ?? d.persistent, 'persistent'),
    partitioned: checkBoolean(options.partitioned ?? d.partitioned, 'partitioned'),
  });
  if (name.startsWith('__Host-')) {
    if (!secure)
      fail(`"${name}": the __Host- prefix requires secure: true (or pick a name without the prefix).`);
    if (path !== '/') fail(`"${name}": the __Host- prefix requires path: '/'.`);
    if (domain !== undefined) fail(`"${name}": the __Host- prefix forbids a domain.`);
  }
  if (name.startsWith('__Secure-') && !secure) fail(`"${name}": the __Secure- prefix requires secure: true.`);
  if (sameSite === 'none' && !secure) fail(`sameSite: 'none' requires secure: true.`);
  if (resolved.partitioned && !secure) fail('partitioned requires secure: true.');
  return resolved;
}

export type CookieLookup =
  | { readonly status: 'absent' }
  | { readonly status: 'found'; readonly value: string }
  /** The name appeared more than once with different values: none is trusted. */
  | { readonly status: 'duplicate' }
  /** The header was over `maxHeaderBytes`; it was not parsed. */
  | { readonly status: 'oversized' };

const ABSENT: CookieLookup = Object.freeze({ status: 'absent' });
const DUPLICATE: CookieLookup = Object.freeze({ status: 'duplicate' });
const OVERSIZED: CookieLookup = Object.freeze({ status: 'oversized' });

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * Find one cookie in a raw `Cookie` header. Never throws. Duplicates of `name` with
 * different values answer `duplicate` (cookie tossing from a sibling domain must not pick
 * the session); identical duplicates count as one.
 */
export function readCookie(
  header: string | null | undefined,
  name: string,
  limits: CookieLimits = DEFAULT_COOKIE_LIMITS,
): CookieLookup {
  if (typeof header !== 'string' || header.length === 0) return ABSENT;
  if (header.length > limits.maxHeaderBytes) return OVERSIZED;
  let found: string | undefined;
  let pairs = 0;
  let start = 0;
  const end = header.length;
  while (start < end && pairs < limits.maxPairs) {
    let semi = header.indexOf(';', start);
    if (semi === -1) semi = end;
    pairs++;
    let a = start;
    while (a < semi && isOws(header.charCodeAt(a))) a++;
    const eq = header.indexOf('=', a);
    if (eq !== -1 && eq < semi) {
      let nameEnd = eq;
      while (nameEnd > a && isOws(header.charCodeAt(nameEnd - 1))) nameEnd--;
      if (nameEnd - a === name.length && header.startsWith(name, a)) {
        let v = eq + 1;
        let vEnd = semi;
        while (v < vEnd && isOws(header.charCodeAt(v))) v++;
        while (vEnd > v && isOws(header.charCodeAt(vEnd - 1))) vEnd--;
        const value = header.slice(v, vEnd);
        if (found !== undefined && found !== value) return DUPLICATE;
        found = value;
      }
    }
    start = semi + 1;
  }
  return found === undefined ? ABSENT : { status: 'found', value: found };
}

export interface SerializeOptions {
  /** Seconds; 0 expires the cookie now. Omitted for a browser-session cookie. */
  readonly maxAge?: number;
}

/** Build a Set-Cookie value. The options were validated at start-up; the value is checked here. */
export function serializeCookie(
  options: ResolvedCookieOptions,
  value: string,
  extra: SerializeOptions = {},
): string {
  if (!COOKIE_VALUE_RE.test(value)) {
    throw new SessionError(
      'invalid_state',
      'cookie value contains characters outside RFC 6265 cookie-octet.',
    );
  }
  let out = `${options.name}=${value}; Path=${options.path}`;
  if (options.domain !== undefined) out += `; Domain=${options.domain}`;
  if (extra.maxAge !== undefined) {
    const maxAge = Math.max(0, Math.floor(extra.maxAge));
    out += `; Max-Age=${maxAge}`;
    if (maxAge === 0) out += '; Expires=Thu, 01 Jan 1970 00:00:00 GMT';
  }
  if (options.httpOnly) out += '; HttpOnly';
  if (options.secure) out += '; Secure';
  out += `; SameSite=${options.sameSite === 'lax' ? 'Lax' : options.sameSite === 'strict' ? 'Strict' : 'None'}`;
  if (options.partitioned) out += '; Partitioned';
  if (out.length > MAX_COOKIE_BYTES) {
    throw new SessionError(
      'invalid_state',
      `Set-Cookie for "${options.name}" would exceed ${MAX_COOKIE_BYTES} bytes.`,
    );
  }
  return out;
}
