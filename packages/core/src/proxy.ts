/**
 * Client IP behind proxies. X-Forwarded-For is attacker-controlled unless a proxy you run
 * wrote it, so it is ignored by default; `trustProxy` says how many hops (or which peers)
 * are yours. Shared by every adapter.
 */
import { ipPrefixOf } from './client.js';
import { SessionError } from './errors.js';

/**
 * `false`: use the socket peer (default). A number: that many proxies in front of the app
 * are trusted (1 = one load balancer). A function: trust a peer address when it answers true
 * (called from the nearest hop outwards).
 */
export type TrustProxy = false | number | ((address: string, hop: number) => boolean);

export function validateTrustProxy(trust: unknown): TrustProxy {
  if (trust === undefined || trust === false) return false;
  if (typeof trust === 'number' && Number.isInteger(trust) && trust >= 0) return trust;
  if (typeof trust === 'function') return trust as TrustProxy;
  throw new SessionError(
    'invalid_config',
    `trustProxy must be false, a hop count >= 0 or a function; got ${String(trust)}.`,
  );
}

/** Most hops ever walked: a longer chain of your own proxies is not a configuration. */
const MAX_HOPS = 64;

/**
 * The client address: walk X-Forwarded-For from the nearest hop (its right end) while the
 * peer is trusted. Every entry a trusted proxy appended is an IP address; the walk stops at
 * the first entry that is not one (a client-written value, or a proxy that adds a port) and
 * keeps the last address it could vouch for. The client can write any number of entries on
 * the left; the walk never looks past the trusted hops, so they cannot push the real ones out.
 */
export function resolveClientIp(
  peer: string | null | undefined,
  forwardedFor: string | null | undefined,
  trust: TrustProxy,
): string {
  const socket = normalize(peer ?? '');
  if (trust === false || trust === 0 || !forwardedFor) return socket;
  let addr = socket;
  let end = forwardedFor.length;
  for (let hop = 0; hop < MAX_HOPS && end >= 0; hop++) {
    const trusted = typeof trust === 'number' ? hop < trust : trust(addr, hop);
    if (!trusted) break;
    const start = forwardedFor.lastIndexOf(',', end - 1);
    const entry = normalize(forwardedFor.slice(start + 1, end).trim());
    if (entry.length > 64 || ipPrefixOf(entry) === '') break;
    addr = entry;
    end = start;
  }
  return addr;
}

/**
 * The protocol the client used, for `selfOrigin`: `X-Forwarded-Proto` only when the socket
 * peer is a proxy `trust` vouches for (anyone else could write it), else `direct` (what the
 * connection itself was). Every adapter computes its origin through this, so `trustProxy`
 * means the same thing everywhere, whatever the framework's own proxy setting says.
 */
export function resolveProto(
  peer: string | null | undefined,
  forwardedProto: string | null | undefined,
  trust: TrustProxy,
  direct: 'http' | 'https',
): string {
  if (trust === false || !forwardedProto) return direct;
  const trusted = typeof trust === 'number' ? trust > 0 : trust(normalize(peer ?? ''), 0);
  const first = forwardedProto.split(',')[0]!.trim().toLowerCase();
  return trusted && (first === 'http' || first === 'https') ? first : direct;
}

function normalize(ip: string): string {
  // Node reports IPv4 peers on dual-stack sockets as ::ffff:a.b.c.d.
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
