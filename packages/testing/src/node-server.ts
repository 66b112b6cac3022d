/**
 * Small helpers for tests over real HTTP: serve a Node request handler on a free loopback port,
 * and catch the rejection a test expects.
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestServer } from './adapter-contract.js';

/**
 * Serve `handler` (an Express app, Koa's `app.callback()`...) on 127.0.0.1 and a free port.
 * `close()` drops kept-alive connections too, so it never waits for idle sockets to time out.
 */
export function listenNode(handler: RequestListener): Promise<TestServer> {
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** The error `p` rejects with; fails the test when it resolves instead. */
export async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
