/**
 * A TCP proxy on a fixed loopback port in front of a real server. `cut()` destroys every
 * proxied connection and stops listening (the database "goes away" for the app: established
 * connections reset, new ones refused); `restore()` listens again on the same port.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  constructor(
    readonly port: number,
    readonly target: { readonly host: string; readonly port: number },
  ) {}

  restore(): Promise<void> {
    if (this.#server) return Promise.resolve();
    const server = createServer((socket) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [socket, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
      }
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
      socket.pipe(upstream).pipe(socket);
    });
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
