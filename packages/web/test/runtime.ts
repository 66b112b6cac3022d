/**
 * The runtime this test file runs in (Node, or Bun / Deno when vitest itself runs there: see
 * runtimes.test.ts), and how to serve a web handler on 127.0.0.1 in it: `Bun.serve`,
 * `Deno.serve`, or @hono/node-server on Node. Each passes its own second argument, and each
 * has its own way to the peer address (`clientIp`).
 */
import type { TestServer } from '@tessera/session-testing';

/** The little of Bun's and Deno's globals these tests use (no @types/bun or Deno lib here). */
interface BunServer {
  readonly port: number;
  requestIP(request: Request): { address: string } | null;
  stop(closeActive?: boolean): Promise<void> | void;
}
interface BunGlobal {
  serve(options: {
    hostname: string;
    port: number;
    fetch(request: Request, server: BunServer): Response | Promise<Response>;
  }): BunServer;
}
interface DenoInfo {
  readonly remoteAddr: { readonly hostname: string };
}
interface DenoGlobal {
  serve(
    options: { hostname: string; port: number; onListen(): void },
    handler: (request: Request, info: DenoInfo) => Response | Promise<Response>,
  ): { readonly addr: { readonly port: number }; shutdown(): Promise<void> };
}
interface NodeEnv {
  readonly incoming: { readonly socket: { readonly remoteAddress?: string } };
}

const g = globalThis as { Bun?: BunGlobal; Deno?: DenoGlobal };

export const runtime: 'bun' | 'deno' | 'node' = g.Bun ? 'bun' : g.Deno ? 'deno' : 'node';

// biome-ignore lint/suspicious/noExplicitAny: the runtime's own second argument, typed per runtime below
export type Fetch = (request: Request, ...rest: any[]) => Promise<Response>;

/** The peer address from the runtime's second argument. */
export function clientIp(request: Request, extra: unknown): string | undefined {
  if (runtime === 'bun') return (extra as BunServer).requestIP(request)?.address;
  if (runtime === 'deno') return (extra as DenoInfo).remoteAddr.hostname;
  return (extra as NodeEnv).incoming.socket.remoteAddress;
}

export async function listen(fetch: Fetch): Promise<TestServer> {
  if (g.Bun) {
    const server = g.Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req, s) => fetch(req, s) });
    return { url: `http://127.0.0.1:${server.port}`, close: async () => void (await server.stop(true)) };
  }
  if (g.Deno) {
    const server = g.Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, (req, info) =>
      fetch(req, info),
    );
    return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
  }
  // Node: node:http, with @hono/node-server's Request bridge (its env: `{ incoming, outgoing }`).
  const { getRequestListener } = await import('@hono/node-server');
  const { listenNode } = await import('@tessera/session-testing');
  return listenNode(getRequestListener(fetch));
}
