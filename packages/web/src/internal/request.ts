/** What the core reads of a web `Request`: method, headers, client IP, and its own origin. */
import { resolveClientIp, resolveProto, type SessionRequest, type TrustProxy } from '@tessera/session-core';

/** A class, not an object literal with a getter: the core reads it on every request, and it stays cheap. */
export class WebRequest implements SessionRequest {
  readonly method: string;
  readonly ip: string | null;
  readonly #request: Request;
  readonly #peer: string | null | undefined;
  readonly #trust: TrustProxy;

  constructor(request: Request, peer: string | null | undefined, trust: TrustProxy) {
    this.#request = request;
    this.#peer = peer;
    this.#trust = trust;
    this.method = request.method;
    const ip = resolveClientIp(peer, request.headers.get('x-forwarded-for'), trust);
    this.ip = ip === '' ? null : ip;
  }

  header(name: string): string | null {
    return this.#request.headers.get(name);
  }

  /**
   * Only the CSRF check of an unsafe request reads it. The URL's scheme is what reached this
   * server; behind a TLS-terminating proxy the session's `trustProxy` lets X-Forwarded-Proto
   * say what the browser used (as in every other adapter).
   */
  get selfOrigin(): string {
    const url = new URL(this.#request.url);
    const direct = url.protocol === 'https:' ? 'https' : 'http';
    const proto = resolveProto(
      this.#peer,
      this.#request.headers.get('x-forwarded-proto'),
      this.#trust,
      direct,
    );
    return `${proto}://${url.host}`;
  }
}
