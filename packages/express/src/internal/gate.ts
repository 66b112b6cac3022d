/**
 * Hold the response until the session is committed. Every byte Node sends goes through
 * `writeHead`, `write`, `end` or `flushHeaders` (`res.json`, `res.redirect`, `res.sendFile`
 * and piped streams all end there), so the first call to any of them starts the commit and
 * is queued with any that follow; once the commit settled, the queue replays in order.
 * Nothing reaches the socket before the Set-Cookie is on the response.
 *
 * The wrappers stay in place afterwards (passing straight through) rather than being
 * removed, so middleware that wrapped these methods before or after us keeps working.
 */
import type { ServerResponse } from 'node:http';

const METHODS = ['writeHead', 'write', 'end', 'flushHeaders'] as const;
type Method = (typeof METHODS)[number];
type Fn = (this: ServerResponse, ...args: unknown[]) => unknown;

export function holdUntilCommitted(
  res: ServerResponse,
  commit: () => Promise<void>,
  onFailure: (error: unknown) => void,
): void {
  const target = res as unknown as Record<Method, Fn>;
  const queue: [Fn, unknown[]][] = [];
  let state: 'open' | 'committing' | 'done' = 'open';
  for (const method of METHODS) {
    const original = target[method];
    target[method] = function (this: ServerResponse, ...args: unknown[]) {
      if (state === 'done') return original.apply(this, args);
      queue.push([original, args]);
      if (state === 'open') {
        state = 'committing';
        commit().then(
          () => settle(null),
          (error: unknown) => settle({ error }),
        );
      }
      // write() answers "keep writing"; the others answer the response, for chaining.
      return method === 'write' ? true : this;
    };
  }
  function settle(failure: { error: unknown } | null): void {
    state = 'done';
    // On failure nothing was sent yet: drop the handler's response for the error one.
    if (failure) {
      onFailure(failure.error);
      return;
    }
    for (const [fn, args] of queue.splice(0)) fn.apply(res, args);
  }
}
