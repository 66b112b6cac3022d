/**
 * A small memcached client for the meta protocol (memcached >= 1.6), with jump consistent
 * hashing over several servers. It exists because the store needs CAS on reads and writes,
 * add, delete-with-CAS and get-with-TTL in single commands, and memjs (the usual choice)
 * exposes no CAS at all; the meta protocol does all of it per command.
 *
 * No failover by design: a key always lives on the server the hash picks, so a down server
 * fails only its own keys (a failover would silently read stale or empty data elsewhere).
 */
import { SessionError } from '@tessera/session-core';
import { type MetaCommand, MetaConnection, type MetaResponse } from './internal/connection.js';
import { serverFor } from './internal/jump-hash.js';

export type { MetaCommand, MetaResponse } from './internal/connection.js';

export interface MemcachedMetaClientOptions {
  /**
   * Servers as `host:port`, in a stable order: append new servers at the end (jump hashing
   * then moves only ~1/N of the keys). @default ['127.0.0.1:11211']
   */
  readonly servers?: readonly string[];
  /** Bound on each round trip, connect included, ms. Past it: `store_unavailable`. @default 1000 */
  readonly timeoutMs?: number;
  /**
   * Send the commands of one event-loop turn to a server in one socket write (cork the
   * connection at the first, uncork in `setImmediate`). Same commands, order and connection;
   * a command waits at most until the end of the current turn. Cuts memcached's reads and the
   * app's write system calls per request. See the README ("Write coalescing").
   * @default true
   */
  readonly coalesceWrites?: boolean;
}

const ADDRESS = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;

export class MemcachedMetaClient {
  readonly servers: readonly string[];
  readonly timeoutMs: number;
  readonly #connections: MetaConnection[];

  constructor(options: MemcachedMetaClientOptions = {}) {
    const servers = options.servers ?? ['127.0.0.1:11211'];
    if (!Array.isArray(servers) || servers.length === 0) {
      throw new SessionError(
        'invalid_config',
        '[tessera] [memcached] servers must list at least one host:port.',
      );
    }
    for (const s of servers) {
      const m = typeof s === 'string' ? ADDRESS.exec(s) : null;
      if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
        throw new SessionError(
          'invalid_config',
          `[tessera] [memcached] server "${String(s)}" is not host:port.`,
        );
      }
    }
    if (new Set(servers).size !== servers.length) {
      throw new SessionError('invalid_config', '[tessera] [memcached] servers lists the same server twice.');
    }
    const timeoutMs = options.timeoutMs ?? 1000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new SessionError(
        'invalid_config',
        `[tessera] [memcached] timeoutMs must be a positive number, got ${timeoutMs}.`,
      );
    }
    this.servers = Object.freeze([...servers]);
    this.timeoutMs = timeoutMs;
    const coalesce = options.coalesceWrites ?? true;
    if (typeof coalesce !== 'boolean') {
      throw new SessionError(
        'invalid_config',
        `[tessera] [memcached] coalesceWrites must be true or false, got ${JSON.stringify(coalesce)}.`,
      );
    }
    this.#connections = servers.map((s) => new MetaConnection(s, coalesce));
  }

  /** Index of the server that holds keys routed by `routing` (a shard tag or an id). */
  serverFor(routing: string): number {
    return serverFor(routing, this.servers.length);
  }

  /**
   * Send `commands` to one server in one write: ONE round trip. Rejects with
   * `SessionError('store_unavailable')` on a connection failure, an error reply or a timeout.
   */
  async exec(server: number, commands: readonly MetaCommand[]): Promise<MetaResponse[]> {
    const connection = this.#connections[server];
    if (!connection) throw new RangeError(`no server #${server}`);
    try {
      return await connection.exec(commands, this.timeoutMs);
    } catch (cause) {
      throw new SessionError(
        'store_unavailable',
        `[tessera] [memcached] ${connection.address} failed: ${(cause as Error).message}. ` +
          'Check that memcached (>= 1.6) runs there; requests recover by themselves when it answers again.',
        { cause },
      );
    }
  }

  /** Close every socket. Later calls reconnect. */
  close(): void {
    for (const c of this.#connections) c.close();
  }
}
