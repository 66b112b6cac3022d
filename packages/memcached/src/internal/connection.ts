/**
 * One pipelined TCP connection to one memcached server, speaking the meta protocol
 * (memcached >= 1.6: `mg`, `ms`, `md`, `mn`). Requests written in one `exec` go out in one
 * write and their responses come back in order: one `exec` is one round trip.
 *
 * Write coalescing (on unless the client is made with `coalesceWrites: false`): the first
 * `exec` of an event-loop turn corks the socket and a `setImmediate` uncorks it, once every
 * I/O callback of the turn has run, so the commands of all the requests that arrived
 * together leave in one write and memcached reads them in one go (the Redis store does the
 * same). Same commands, order and connection; a command waits at most until the end of the
 * turn.
 *
 * Any timeout or protocol surprise destroys the socket (a half-read stream cannot be trusted)
 * and fails every pending request; the next `exec` reconnects, so a server that comes back is
 * used again without a restart.
 */
import { connect, type Socket } from 'node:net';
import { withTimeout } from '@tessera/session-core';

/** One meta command: its line without CRLF, and the value block for `ms`. */
export interface MetaCommand {
  readonly line: string;
  readonly data?: Buffer;
}

/** One meta response. `code` is `VA`, `HD`, `EN`, `NS`, `EX`, `NF` or `MN`. */
export interface MetaResponse {
  readonly code: string;
  /** Return flags by letter, e.g. `c` → CAS value, `t` → remaining TTL. */
  readonly flags: ReadonlyMap<string, string>;
  readonly value?: Buffer;
}

interface Pending {
  resolve: (r: MetaResponse) => void;
  reject: (e: Error) => void;
}

const CRLF = Buffer.from('\r\n');

export class MetaConnection {
  readonly #host: string;
  readonly #port: number;
  #socket: Socket | undefined;
  #ready: Promise<Socket> | undefined;
  #pending: Pending[] = [];
  #buf: Buffer = Buffer.alloc(0);
  readonly #coalesce: boolean;
  /** The socket corked in this event-loop turn, uncorked by `#flush` (setImmediate). */
  #corked: Socket | undefined;

  constructor(
    readonly address: string,
    coalesce = true,
  ) {
    this.#coalesce = coalesce;
    const i = address.lastIndexOf(':');
    this.#host = i > 0 ? address.slice(0, i).replace(/^\[|\]$/g, '') : address;
    this.#port = i > 0 ? Number(address.slice(i + 1)) : 11211;
  }

  /** Send `commands` in one write and resolve their responses in order, within `timeoutMs`. */
  async exec(commands: readonly MetaCommand[], timeoutMs: number): Promise<MetaResponse[]> {
    const deadline = Date.now() + timeoutMs;
    const socket = await this.#connect(timeoutMs);
    const parts: Buffer[] = [];
    for (const c of commands) {
      parts.push(Buffer.from(`${c.line}\r\n`, 'latin1'));
      if (c.data) parts.push(c.data, CRLF);
    }
    const replies = commands.map(
      () => new Promise<MetaResponse>((resolve, reject) => this.#pending.push({ resolve, reject })),
    );
    if (this.#coalesce && this.#corked === undefined) {
      socket.cork();
      this.#corked = socket;
      setImmediate(this.#flush);
    }
    socket.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
    return withTimeout(Promise.all(replies), Math.max(1, deadline - Date.now()), () => {
      const error = new Error(`no answer from ${this.address} within ${timeoutMs} ms`);
      this.#fail(socket, error);
      return error;
    });
  }

  readonly #flush = (): void => {
    const socket = this.#corked;
    this.#corked = undefined;
    // Corks nest: this undoes ours only. On a socket destroyed since, it does nothing.
    socket?.uncork();
  };

  close(): void {
    if (this.#socket) this.#fail(this.#socket, new Error(`connection to ${this.address} closed`));
  }

  #connect(timeoutMs: number): Promise<Socket> {
    if (this.#socket && !this.#socket.destroyed) return Promise.resolve(this.#socket);
    if (this.#ready) return this.#ready;
    this.#ready = new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: this.#host, port: this.#port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`could not connect to ${this.address} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        this.#socket = socket;
        this.#buf = Buffer.alloc(0);
        resolve(socket);
      });
      socket.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
        this.#fail(socket, error);
      });
      socket.on('close', () => this.#fail(socket, new Error(`connection to ${this.address} closed`)));
      socket.on('data', (chunk: Buffer) => this.#onData(socket, chunk));
    }).finally(() => {
      this.#ready = undefined;
    });
    return this.#ready;
  }

  #fail(socket: Socket, error: Error): void {
    socket.destroy();
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) p.reject(error);
  }

  #onData(socket: Socket, chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    for (;;) {
      const eol = this.#buf.indexOf(CRLF);
      if (eol < 0) return;
      const line = this.#buf.subarray(0, eol).toString('latin1');
      const words = line.split(' ');
      const code = words[0] ?? '';
      let value: Buffer | undefined;
      let consumed = eol + 2;
      let rest = words.slice(1);
      if (code === 'VA') {
        const size = Number(words[1]);
        if (this.#buf.length < consumed + size + 2) return;
        value = Buffer.from(this.#buf.subarray(consumed, consumed + size));
        consumed += size + 2;
        rest = words.slice(2);
      }
      this.#buf = this.#buf.subarray(consumed);
      const pending = this.#pending.shift();
      if (!pending) {
        this.#fail(socket, new Error(`unexpected reply from ${this.address}: ${line}`));
        return;
      }
      if (code === 'ERROR' || code === 'CLIENT_ERROR' || code === 'SERVER_ERROR') {
        // The stream may be out of step after an error line: start over on a new socket.
        const error = new Error(`${this.address} answered ${line}`);
        pending.reject(error);
        this.#fail(socket, error);
        return;
      }
      const flags = new Map<string, string>();
      for (const w of rest) if (w) flags.set(w[0]!, w.slice(1));
      pending.resolve(value ? { code, flags, value } : { code, flags });
    }
  }
}
