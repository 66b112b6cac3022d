/**
 * The request the core reads, built from a Node `IncomingMessage`: the one place the Node
 * adapters (Express, Koa, Fastify, NestJS) compute the client IP and `selfOrigin`, both from the session's
 * `trustProxy` and never from a framework's own proxy setting, so one option means the same
 * thing in every adapter.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { resolveClientIp, resolveProto, type TrustProxy } from '../proxy.js';
import type { SessionRequest } from '../request.js';

/** A class, not an object literal: built on every request, it stays cheap. */
export class NodeSessionRequest implements SessionRequest {
  readonly method: string;
  readonly ip: string | null;
  readonly #req: IncomingMessage;
  readonly #trust: TrustProxy;

  constructor(req: IncomingMessage, trust: TrustProxy) {
    this.#req = req;
    this.#trust = trust;
    this.method = req.method ?? 'GET';
    this.ip = resolveClientIp(req.socket.remoteAddress, this.header('x-forwarded-for'), trust);
  }

  header(name: string): string | undefined {
    const value = this.#req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  /**
   * Only the CSRF check of an unsafe request reads it. X-Forwarded-Proto counts only when the
   * socket peer is a proxy `trustProxy` vouches for: anyone else could write it.
   */
  get selfOrigin(): string | null {
    const host = this.header('host');
    if (!host) return null;
    const socket = this.#req.socket;
    const direct = (socket as TLSSocket).encrypted ? 'https' : 'http';
    return `${resolveProto(socket.remoteAddress, this.header('x-forwarded-proto'), this.#trust, direct)}://${host}`;
  }
}
