/**
 * Read-your-writes on a Node response: the first call that would put bytes (or the status
 * line) on the wire is held until the session commit resolves; the commit's headers are
 * applied, then the held calls are replayed in order. `commit` is async and `writeHead` /
 * `end` are not, so holding the calls is the only way a redirect after login cannot race
 * the save. Works on any framework that ends in `ServerResponse` (Express, Fastify's raw).
 */
import type { ServerResponse } from 'node:http';
import { errorBodyOf, httpStatusOf, isSessionError, type ResponseHeaders } from '@tessera/session-core';

const HELD = ['writeHead', 'write', 'end', 'flushHeaders'] as const;
type Held = (typeof HELD)[number];
type AnyFn = (...args: unknown[]) => unknown;

export function commitBeforeSend(res: ServerResponse, commit: () => Promise<ResponseHeaders>): void {
  const target = res as unknown as Record<Held, AnyFn>;
  const originals = new Map<Held, AnyFn>(HELD.map((name) => [name, target[name]]));
  let queue: Array<[Held, unknown[]]> | null = null;

  const release = async (): Promise<void> => {
    let headers: ResponseHeaders = [];
    let failure: unknown = null;
    try {
      headers = await commit();
    } catch (error) {
      failure = error;
    }
    for (const [name, fn] of originals) target[name] = fn;
    if (res.headersSent || res.destroyed) return;
    if (failure !== null) {
      // The handler's answer claims a write that did not happen: replace it, without a stack.
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      const [status, body] = isSessionError(failure)
        ? [httpStatusOf(failure.code), errorBodyOf(failure)]
        : [500, { error: 'internal_error' }];
      res.statusCode = status;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(JSON.stringify(body));
      return;
    }
    for (const [name, value] of headers) {
      if (name === 'set-cookie') res.appendHeader(name, value);
      else res.setHeader(name, value);
    }
    for (const [name, args] of queue ?? []) originals.get(name)!.apply(res, args);
  };

  for (const name of HELD) {
    target[name] = (...args: unknown[]) => {
      if (queue === null) {
        queue = [];
        release().catch((error: unknown) => res.destroy(error as Error));
      }
      queue.push([name, args]);
      // Streams see a writable sink; the held chunks are bounded by one store round trip.
      return name === 'write' ? true : res;
    };
  }
}
