/**
 * The headers a request's session has to send: cookies by name (the last line for a name
 * wins) and other headers, allocated on first use so a request that only reads makes none.
 */
import type { ResponseHeaders } from './request.js';

export class PendingHeaders {
  #cookies: Map<string, string> | null = null;
  #other: Map<string, string> | null = null;

  setCookie(name: string, line: string): void {
    if (this.#cookies === null) this.#cookies = new Map();
    this.#cookies.set(name, line);
  }

  set(name: string, value: string): void {
    if (this.#other === null) this.#other = new Map();
    this.#other.set(name, value);
  }

  get isEmpty(): boolean {
    return (
      (this.#cookies === null || this.#cookies.size === 0) && (this.#other === null || this.#other.size === 0)
    );
  }

  /** The headers in order: cookies, `cache-control` when there are any, `extra`, then the rest. */
  lines(extra: readonly (readonly [string, string])[]): ResponseHeaders {
    const headers: [string, string][] = [];
    if (this.#cookies) for (const line of this.#cookies.values()) headers.push(['set-cookie', line]);
    if (headers.length > 0) headers.push(['cache-control', 'no-store']);
    for (const [k, v] of extra) headers.push([k, v]);
    if (this.#other) for (const [k, v] of this.#other) headers.push([k, v]);
    return headers;
  }
}
