// Serving a Node request handler (Express, Koa's callback) for the demo: loopback, the URL as a
// browser should use it (localhost: Chromium keeps `Secure` cookies there over plain HTTP).
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

export function listenNode(
  handler: RequestListener,
  port: number,
): Promise<{ readonly url: string; close(): Promise<void> }> {
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        url: `http://localhost:${(server.address() as AddressInfo).port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    );
  });
}
