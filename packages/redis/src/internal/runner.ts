/**
 * Runs a script (or the store's one plain command, the HGETALL of a read) in one round trip
 * with a bounded wait, and turns every failure into
 * `SessionError('store_unavailable')`.
 *
 * EVALSHA first; only a server that has never seen the script (NOSCRIPT: first call after
 * a restart or failover, or a new Cluster node) costs a second trip with EVAL, which also
 * caches it. Calls are only sent once the client can take them (see `StoreClient.whenReady`),
 * and on node-redis a call that times out is also taken back out of the client's queue, so
 * nothing waits in an offline queue past the timeout, whatever the client's settings.
 */
import { SessionError, withTimeout } from '@tessera/session-core';
import type { StoreClient } from './client.js';
import type { Lane } from './lane.js';
import type { Script } from './scripts.js';

class Timeout extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

const isNoScript = (error: unknown) => error instanceof Error && error.message.startsWith('NOSCRIPT');

export class ScriptRunner {
  /** Durable writes' connection (see lane.ts): opened at the first, again after it ended. */
  #lane: Lane | undefined;
  #closed = false;

  constructor(
    private readonly client: StoreClient,
    private readonly timeoutMs: number,
  ) {}

  run(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    return this.#call(script.name, (signal) => this.#send(script, keys, args, signal));
  }

  /** HGETALL of `key` (a plain read: no script), with the same bound and errors as `run`. */
  hgetall(name: string, key: string): Promise<unknown> {
    return this.#call(name, (signal) => this.client.hgetall(key, signal));
  }

  #call(name: string, send: (signal: AbortSignal | undefined) => Promise<unknown>): Promise<unknown> {
    // The hot path (client ready): no async layers, one bounded wait, one catch.
    const ready = this.client.whenReady();
    // node-redis: every call can be taken back out of the client's queue. Both: a call still
    // waiting for the client when its time is up must never be sent later.
    const abort = this.client.abortable || ready !== undefined ? new AbortController() : undefined;
    let work: Promise<unknown>;
    if (ready === undefined) {
      try {
        work = send(abort?.signal);
      } catch (error) {
        work = Promise.reject(error);
      }
    } else {
      work = ready.then(() => {
        if (abort?.signal.aborted) throw new Error('abandoned: the timeout passed first');
        return send(abort?.signal);
      });
    }
    return withTimeout(work, this.timeoutMs, () => {
      abort?.abort();
      return new Timeout(this.timeoutMs);
    }).catch((error: unknown) => {
      throw this.#fail(name, error);
    });
  }

  /**
   * The script and `WAIT replicas waitMs` in one round trip on one connection (the durable
   * lane's, so a WAIT never holds up other commands), so on Cluster the WAIT goes to the node
   * that took the write. Resolves the script's reply and the number of replicas that
   * acknowledged. The bound is the store's timeout plus `waitMs`.
   */
  runDurable(
    script: Script,
    keys: readonly string[],
    args: readonly string[],
    replicas: number,
    waitMs: number,
  ): Promise<{ reply: unknown; acknowledged: number }> {
    let late = false;
    return this.#bounded(
      script,
      this.timeoutMs + waitMs,
      () => {
        late = true;
      },
      async () => {
        // The client first: one its owner closed opens no lane.
        await this.client.whenReady();
        if (this.#closed) throw new Error('the store was closed (store.close())');
        if (this.#lane === undefined || this.#lane.ended) this.#lane = this.client.openLane();
        const lane = this.#lane.client;
        await lane.whenReady();
        if (late) throw new Error('abandoned: the timeout passed first');
        const send = (lua: string | undefined) =>
          lane.scriptAndWait(lua, script.sha, keys, args, replicas, waitMs);
        let [[scriptError, reply], [waitError, acknowledged]] = await send(undefined);
        if (isNoScript(scriptError)) {
          // The script never ran, so the WAIT that followed covered nothing: send both again.
          [[scriptError, reply], [waitError, acknowledged]] = await send(script.lua);
        }
        if (scriptError) throw scriptError;
        if (waitError) throw waitError;
        return { reply, acknowledged: typeof acknowledged === 'number' ? acknowledged : 0 };
      },
    );
  }

  /** Closes the durable lane, if open; durable writes fail from now on. Never the client. */
  close(): void {
    this.#closed = true;
    this.#lane?.close();
  }

  async #bounded<T>(script: Script, ms: number, onTimeout: () => void, send: () => Promise<T>): Promise<T> {
    try {
      return await withTimeout(send(), ms, () => {
        onTimeout();
        return new Timeout(ms);
      });
    } catch (error) {
      const lane = this.#lane && !this.#lane.ended ? this.#lane.client.state() : 'not open';
      throw this.#fail(script.name, error, `${this.client.state()}; durable connection: ${lane}`);
    }
  }

  // The ioredis client ignores `signal`; the node-redis one drops a command still queued.
  #send(
    script: Script,
    keys: readonly string[],
    args: readonly string[],
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    return this.client.script(undefined, script.sha, keys, args, signal).catch((error: unknown) => {
      if (!isNoScript(error)) throw error;
      return this.client.script(script.lua, script.sha, keys, args, signal);
    });
  }

  #fail(name: string, error: unknown, state = this.client.state()): SessionError {
    if (error instanceof Timeout) {
      return new SessionError(
        'store_unavailable',
        `[tessera] [redis] no answer within ${error.ms} ms (${name}; ${state}). ` +
          'Check that Redis is reachable; the store recovers by itself when it answers again.',
      );
    }
    const what = error instanceof Error ? error.message : String(error);
    return new SessionError(
      'store_unavailable',
      `[tessera] [redis] ${name} failed: ${what}. Check the Redis server and the client's connection.`,
      { cause: error },
    );
  }
}
