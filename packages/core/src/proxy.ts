/**
 * Client IP behind proxies. X-Forwarded-For is attacker-controlled unless a proxy you run
 * wrote it, so it is ignored by default; `trustProxy` says how many hops (or which peers)
 * are yours. Shared by every adapter.
 */
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

/** The client address: walk X-Forwarded-For from the nearest hop while the peer is trusted. */
export function resolveClientIp(
  peer: string | null | undefined,
  forwardedFor: string | null | undefined,
  trust: TrustProxy,
): string {
  const socket = normalize(peer ?? '');
  if (trust === false || trust === 0 || !forwardedFor) return socket;
  const chain = forwardedFor
    .split(',', 64)
    .map((s) => normalize(s.trim()))
    .filter((s) => s.length > 0 && s.length <= 64);
  let addr = socket;
  for (let hop = 0; hop < chain.length; hop++) {
    const trusted = typeof trust === 'number' ? hop < trust : trust(addr, hop);
    if (!trusted) break;
    addr = chain[chain.length - 1 - hop]!;
  }
  return addr;
}

function normalize(ip: string): string {
  // Node reports IPv4 peers on dual-stack sockets as ::ffff:a.b.c.d.
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
