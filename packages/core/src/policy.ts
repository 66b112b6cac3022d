/**
 * Session policy: timeouts, the per-user cap, client binding, data limits and CSRF. Secure defaults live
 * in one frozen constant; options are validated once, at start-up (`0` is a real value,
 * negative or NaN is an error), because TypeScript types do not exist at run time.
 */
import { SessionError } from './errors.js';
import { DEFAULT_DATA_LIMITS, resolveDataLimits } from './limits.js';

export type OnLimit = 'evict-oldest' | 'reject';
export type ClientBinding = 'off' | 'event' | 'reject';

export interface CsrfOptions {
  /**
   * The session middleware of every adapter refuses unsafe methods (anything but GET, HEAD,
   * OPTIONS) that fail the check, with 403 `{ error: 'csrf' }`, before the handler runs.
   * `false` turns that off for the whole app (then mount the adapter's `csrf()` where you
   * want it). One route is exempted with the adapter's `skipCsrf()`. @default true
   */
  readonly enabled?: boolean;
  /** Request header carrying the token. @default 'x-csrf-token' */
  readonly headerName?: string;
  /** Form field carrying the token when the header is absent. @default '_csrf' */
  readonly fieldName?: string;
  /**
   * Largest form body the check reads to find `fieldName`, bytes. Only a form
   * (`application/x-www-form-urlencoded` or `multipart/form-data`) with a `Content-Length`
   * up to this is read; a larger, chunked or malformed one is refused (403) unread. A body a
   * parser of the app already read is used as it is. @default 65536 (64 KiB)
   */
  readonly maxFormBytes?: number;
  /**
   * Origins allowed besides the request's own (`https://app.example.com`). A cross-site
   * `Sec-Fetch-Site` or a foreign `Origin` is refused before the token is looked at.
   * @default []
   */
  readonly trustedOrigins?: readonly string[];
  /** Accept `Sec-Fetch-Site: same-site` (sibling subdomains). @default false */
  readonly allowSameSite?: boolean;
  /** Name of the pre-session cookie used by login forms. @default '__Host-csrf' when secure, else 'csrf' */
  readonly cookieName?: string;
}

export interface PolicyOptions {
  /** Idle timeout, ms. 0 disables idle expiry (the absolute deadline still holds). @default 1800000 (30 min) */
  readonly idleTimeoutMs?: number;
  /** Absolute lifetime of one token, ms; never extended by activity. @default 28800000 (8 h) */
  readonly absoluteTimeoutMs?: number;
  /**
   * A read extends the idle deadline at most this often, ms; inside it an unchanged session
   * costs no write. 0 touches on every request. Must be below `idleTimeoutMs`. @default 60000
   */
  readonly touchIntervalMs?: number;
  /** Live sessions per user; `Infinity` for no cap. @default 5 */
  readonly maxSessionsPerUser?: number;
  /** At the cap: drop the oldest session, or refuse the login. @default 'evict-oldest' */
  readonly onLimit?: OnLimit;
  /** When the client's IP network or user agent changes mid-session. @default 'event' */
  readonly clientBinding?: ClientBinding;
  /**
   * Keys of the anonymous session carried into the signed-in one at login (e.g. `['cart']`);
   * `false` or `[]` carries none. Nothing is carried unless listed: an attacker who planted
   * an anonymous session on the victim would otherwise smuggle its data (a `returnTo`, OAuth
   * state) into the victim's account. Data never crosses from one user to another; a
   * re-login as the same user keeps everything. @default []
   */
  readonly keepDataOnLogin?: false | readonly string[];
  /** Upper bound on one store call, ms; past it the request fails with `store_unavailable`. @default 2000 */
  readonly storeTimeoutMs?: number;
  /**
   * Most bytes of data one session may hold: the UTF-8 bytes of every top-level key plus its
   * JSON text, all keys together. A write past it is refused with `session_too_large` (413)
   * and writes nothing. At most the store's own `maxDataBytes`. @default 65536 (64 KiB)
   */
  readonly maxDataBytes?: number;
  /** Most top-level keys one session may hold; past it like `maxDataBytes`. @default 256 */
  readonly maxKeys?: number;
  readonly csrf?: CsrfOptions;
}

export interface ResolvedCsrf {
  readonly enabled: boolean;
  readonly headerName: string;
  readonly fieldName: string;
  readonly maxFormBytes: number;
  readonly trustedOrigins: readonly string[];
  readonly allowSameSite: boolean;
  readonly cookieName: string | undefined;
}

export interface Policy {
  readonly idleTimeoutMs: number;
  readonly absoluteTimeoutMs: number;
  readonly touchIntervalMs: number;
  readonly maxSessionsPerUser: number;
  readonly onLimit: OnLimit;
  readonly clientBinding: ClientBinding;
  /** The keys carried at login (`false` resolves to `[]`). */
  readonly keepDataOnLogin: readonly string[];
  readonly storeTimeoutMs: number;
  readonly maxDataBytes: number;
  readonly maxKeys: number;
  readonly csrf: ResolvedCsrf;
}

export const DEFAULT_POLICY: Readonly<Omit<Policy, 'csrf'>> & { readonly csrf: Readonly<ResolvedCsrf> } =
  Object.freeze({
    idleTimeoutMs: 30 * 60_000,
    absoluteTimeoutMs: 8 * 3_600_000,
    touchIntervalMs: 60_000,
    maxSessionsPerUser: 5,
    onLimit: 'evict-oldest',
    clientBinding: 'event',
    keepDataOnLogin: Object.freeze([]) as readonly string[],
    storeTimeoutMs: 2_000,
    maxDataBytes: DEFAULT_DATA_LIMITS.maxDataBytes,
    maxKeys: DEFAULT_DATA_LIMITS.maxKeys,
    csrf: Object.freeze({
      enabled: true,
      headerName: 'x-csrf-token',
      fieldName: '_csrf',
      maxFormBytes: 64 * 1024,
      trustedOrigins: Object.freeze([]) as readonly string[],
      allowSameSite: false,
      cookieName: undefined,
    }),
  });

function invalid(message: string): never {
  throw new SessionError('invalid_config', message);
}

/** Longest duration accepted anywhere: 100 years. Longer ones overflow some stores' clocks. */
export const MAX_DURATION_MS = 100 * 365.25 * 24 * 3_600_000;

/**
 * A duration in ms: finite, between min and 100 years, rounded to a whole ms (stores keep
 * timestamps as integers; 0.1 * 3 * 60_000 is 18000.000000000004).
 */
export function checkDuration(value: unknown, name: string, min = 0): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    Math.round(value) < min ||
    value > MAX_DURATION_MS
  ) {
    invalid(
      `${name} must be a number of milliseconds from ${min} to ${MAX_DURATION_MS} (100 years), got ${String(value)}.`,
    );
  }
  return Math.round(value);
}

function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T))
    invalid(`${name} must be one of ${allowed.join(', ')}; got ${String(value)}.`);
  return value as T;
}

/** The check reads a form into memory: 16 MiB is far past any login form, and still bounded. */
const MAX_FORM_BYTES = 16 * 1024 * 1024;
const HEADER_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const ORIGIN_RE = /^https?:\/\/[^/\s]+$/;

function resolveCsrf(options: CsrfOptions = {}): ResolvedCsrf {
  const d = DEFAULT_POLICY.csrf;
  const headerName = options.headerName ?? d.headerName;
  if (typeof headerName !== 'string' || !HEADER_RE.test(headerName))
    invalid(`csrf.headerName is not a header name.`);
  const fieldName = options.fieldName ?? d.fieldName;
  if (typeof fieldName !== 'string' || fieldName.length === 0)
    invalid('csrf.fieldName must be a non-empty string.');
  const maxFormBytes = options.maxFormBytes ?? d.maxFormBytes;
  if (!Number.isInteger(maxFormBytes) || maxFormBytes < 0 || maxFormBytes > MAX_FORM_BYTES)
    invalid(`csrf.maxFormBytes must be a whole number of bytes from 0 to ${MAX_FORM_BYTES}.`);
  const trustedOrigins = options.trustedOrigins ?? d.trustedOrigins;
  if (!Array.isArray(trustedOrigins)) invalid('csrf.trustedOrigins must be an array of origins.');
  for (const o of trustedOrigins) {
    if (typeof o !== 'string' || !ORIGIN_RE.test(o))
      invalid(`csrf.trustedOrigins: ${String(o)} is not an origin like https://example.com.`);
  }
  const enabled = options.enabled ?? d.enabled;
  const allowSameSite = options.allowSameSite ?? d.allowSameSite;
  if (typeof enabled !== 'boolean' || typeof allowSameSite !== 'boolean')
    invalid('csrf.enabled and csrf.allowSameSite are booleans.');
  return Object.freeze({
    enabled,
    headerName: headerName.toLowerCase(),
    fieldName,
    maxFormBytes,
    trustedOrigins: Object.freeze(trustedOrigins.map((o) => o.toLowerCase())),
    allowSameSite,
    cookieName: options.cookieName,
  });
}

/** Resolve and validate policy options. Throws `SessionError('invalid_config')` with the reason. */
export function resolvePolicy(options: PolicyOptions = {}): Policy {
  const d = DEFAULT_POLICY;
  const idleTimeoutMs = checkDuration(options.idleTimeoutMs ?? d.idleTimeoutMs, 'idleTimeoutMs');
  const absoluteTimeoutMs = checkDuration(
    options.absoluteTimeoutMs ?? d.absoluteTimeoutMs,
    'absoluteTimeoutMs',
    1,
  );
  const touchIntervalMs = checkDuration(options.touchIntervalMs ?? d.touchIntervalMs, 'touchIntervalMs');
  if (idleTimeoutMs > 0 && touchIntervalMs >= idleTimeoutMs) {
    invalid(
      `touchIntervalMs (${touchIntervalMs}) must be below idleTimeoutMs (${idleTimeoutMs}), or active sessions would idle out.`,
    );
  }
  const max = options.maxSessionsPerUser ?? d.maxSessionsPerUser;
  if (typeof max !== 'number' || !(max === Number.POSITIVE_INFINITY || (Number.isInteger(max) && max >= 1))) {
    invalid(`maxSessionsPerUser must be an integer >= 1 or Infinity, got ${String(max)}.`);
  }
  const keep: unknown = options.keepDataOnLogin ?? d.keepDataOnLogin;
  if (keep === true) {
    invalid(
      "keepDataOnLogin: true is not accepted: it would carry whatever an attacker planted in an anonymous session into the signed-in one. List the keys to carry, e.g. ['cart'].",
    );
  }
  if (keep !== false && !(Array.isArray(keep) && keep.every((k) => typeof k === 'string' && k !== ''))) {
    invalid('keepDataOnLogin must be false or an array of key names.');
  }
  return Object.freeze({
    idleTimeoutMs,
    absoluteTimeoutMs,
    touchIntervalMs,
    maxSessionsPerUser: max,
    onLimit: oneOf(options.onLimit ?? d.onLimit, 'onLimit', ['evict-oldest', 'reject'] as const),
    clientBinding: oneOf(options.clientBinding ?? d.clientBinding, 'clientBinding', [
      'off',
      'event',
      'reject',
    ] as const),
    keepDataOnLogin: keep === false ? d.keepDataOnLogin : Object.freeze([...(keep as string[])]),
    storeTimeoutMs: checkDuration(options.storeTimeoutMs ?? d.storeTimeoutMs, 'storeTimeoutMs', 1),
    ...resolveDataLimits({ maxDataBytes: options.maxDataBytes, maxKeys: options.maxKeys }),
    csrf: resolveCsrf(options.csrf),
  });
}
