/**
 * Client binding: the network of the client IP (/24 for IPv4, /64 for IPv6) and a short
 * hash of the user agent, recorded at login and compared on later requests.
 */
import type { StoredClient } from './store.js';
import { shortHash } from './token.js';

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * `a.b.c.0/24` for a dotted IPv4 address (four groups of 1-3 digits, each at most 255; leading
 * zeros allowed, as IPV4_RE reads them), or undefined. A loop, not IPV4_RE: stores derive the
 * prefix of every session they read, so this runs once per request.
 */
function ipv4Prefix(ip: string): string | undefined {
  if (ip.length > 15) return undefined;
  let a = 0;
  let b = 0;
  let c = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const ch = ip.charCodeAt(i);
    if (ch === 46 /* . */) {
      if (digits === 0 || dots === 3) return undefined;
      if (dots === 0) a = part;
      else if (dots === 1) b = part;
      else c = part;
      dots++;
      part = 0;
      digits = 0;
    } else if (ch >= 48 && ch <= 57) {
      if (++digits > 3) return undefined;
      part = part * 10 + (ch - 48);
    } else return undefined;
    if (part > 255) return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return `${a}.${b}.${c}.0/24`;
}

/** Expand an IPv6 address into 8 groups, or undefined. Handles `::` and an embedded IPv4 tail. */
function ipv6Groups(ip: string): number[] | undefined {
  let text = ip.toLowerCase();
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  const lastColon = text.lastIndexOf(':');
  if (lastColon === -1) return undefined;
  if (text.includes('.', lastColon)) {
    // Rewrite a dotted IPv4 tail as two hex groups: ::ffff:1.2.3.4 -> ::ffff:102:304
    const v4 = IPV4_RE.exec(text.slice(lastColon + 1));
    if (!v4) return undefined;
    const b = v4.slice(1, 5).map(Number);
    if (b.some((x) => x > 255)) return undefined;
    text = `${text.slice(0, lastColon + 1)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string) =>
    s === ''
      ? []
      : s.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? Number.parseInt(g, 16) : Number.NaN));
  const head = parse(halves[0]!);
  let groups = head;
  if (halves.length === 2) {
    const rest = parse(halves[1]!);
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return undefined;
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest];
  }
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g))) return undefined;
  return groups;
}

/** The network a client IP belongs to, for comparisons; '' when the IP is unknown or invalid. */
export function ipPrefixOf(ip: string | null | undefined): string {
  if (!ip) return '';
  const v4 = ipv4Prefix(ip);
  if (v4) return v4;
  const g = ipv6Groups(ip);
  if (!g) return '';
  // IPv4-mapped (::ffff:a.b.c.d) compares as IPv4.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.0/24`;
  }
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`;
}

/** True when the request's raw IP and user agent are exactly what was recorded (no hashing needed). */
export function sameClient(
  recorded: StoredClient,
  ip: string | null | undefined,
  userAgent: string | null | undefined,
): boolean {
  return (
    recorded.ip === (typeof ip === 'string' ? ip.slice(0, 64) : '') &&
    recorded.userAgent === (typeof userAgent === 'string' ? userAgent.slice(0, 256) : '')
  );
}

export function clientOf(ip: string | null | undefined, userAgent: string | null | undefined): StoredClient {
  const ua = typeof userAgent === 'string' ? userAgent.slice(0, 256) : '';
  return {
    ip: typeof ip === 'string' ? ip.slice(0, 64) : '',
    ipPrefix: ipPrefixOf(ip),
    userAgent: ua,
    uaHash: shortHash(ua),
  };
}

export type ClientChange = {
  readonly kind: 'ip' | 'user-agent';
  readonly expected: string;
  readonly actual: string;
};

/**
 * What changed between the recorded client and this request, as hashes (never raw values).
 * An address known on one side only is a change: an unparsable IP must not slip past a
 * `reject` binding. Unknown on both sides (no socket address at all) is not.
 */
export function clientChanges(recorded: StoredClient, current: StoredClient): ClientChange[] {
  const out: ClientChange[] = [];
  if (recorded.ipPrefix !== current.ipPrefix) {
    out.push({ kind: 'ip', expected: shortHash(recorded.ipPrefix), actual: shortHash(current.ipPrefix) });
  }
  if (recorded.uaHash !== current.uaHash) {
    out.push({ kind: 'user-agent', expected: recorded.uaHash, actual: current.uaHash });
  }
  return out;
}
