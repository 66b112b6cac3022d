/**
 * Runs a script in one round trip with a bounded wait, and turns every failure into
 * `SessionError('store_unavailable')`.
 *
 * EVALSHA first; only a server that has never seen the script (NOSCRIPT: first call after
 * a restart or failover, or a new Cluster node) costs a second trip with EVAL, which also
 * caches it. Calls are only sent once the client is `ready`, so they never sit in
 * ioredis' offline queue while Redis is away, whatever the client's settings.
 */
import { SessionError, withTimeout } from '@tessera/session-core';
import type { Script } from './scripts.js';

/** The slice of ioredis' `Redis` / `Cluster` this store uses. */
export interface ScriptClient {
  readonly status: string;
  readonly isCluster?: boolean;
  evalsha(sha: string, numKeys: number, ...args: string[]): Promise<unknown>;
  eval(lua: string, numKeys: number, ...args: string[]): Promise<unknown>;
  once(event: 'ready', listener: () => void): unknown;
  off(event: 'ready', listener: () => void): unknown;
  /** Only needed with `durability` (EVALSHA + WAIT in one round trip). */
  pipeline?(): ScriptPipeline;
}

/** The slice of an ioredis pipeline `runDurable` uses. */
export interface ScriptPipeline {
  evalsha(sha: string, numKeys: number, ...args: string[]): unknown;
  eval(lua: string, numKeys: number, ...args: string[]): unknown;
  call(command: string, ...args: string[]): unknown;
  exec(): Promise<[Error | null, unknown][] | null>;
}

class Timeout extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

export class ScriptRunner {
  #ready: Promise<void> | undefined;

  constructor(
    private readonly client: ScriptClient,
    private readonly timeoutMs: number,
  ) {}

  run(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    // The hot path (client ready): no async layers, one bounded wait, one catch.
    const ready = this.#whenReady();
    const work =
      ready === undefined ? this.#send(script, keys, args) : ready.then(() => this.#send(script, keys, args));
    return withTimeout(work, this.timeoutMs, () => new Timeout(this.timeoutMs)).catch((error: unknown) => {
      throw this.#fail(script, error);
    });
  }

  /**
   * The script and `WAIT replicas waitMs` in one pipeline: one round trip on one connection,
   * so on Cluster the WAIT goes to the node that took the write (ioredis routes a pipeline
   * by its keys' slot; WAIT has none). Resolves the script's reply and the number of
   * replicas that acknowledged. The bound is the store's timeout plus `waitMs`.
   */
  runDurable(
    script: Script,
    keys: readonly string[],
    args: readonly string[],
    replicas: number,
    waitMs: number,
  ): Promise<{ reply: unknown; acknowledged: number }> {
    return this.#bounded(script, this.timeoutMs + waitMs, async () => {
      await this.#whenReady();
      const once = async (useEval: boolean) => {
        const pipeline = this.client.pipeline?.();
        if (!pipeline) throw new Error('the client has no pipeline() (durability needs ioredis)');
        if (useEval) pipeline.eval(script.lua, keys.length, ...keys, ...args);
        else pipeline.evalsha(script.sha, keys.length, ...keys, ...args);
        pipeline.call('WAIT', String(replicas), String(waitMs));
        const results = await pipeline.exec();
        if (results?.length !== 2) throw new Error('unexpected pipeline reply');
        return results as [[Error | null, unknown], [Error | null, unknown]];
      };
      let [[scriptError, reply], [waitError, acknowledged]] = await once(false);
      if (scriptError?.message.startsWith('NOSCRIPT')) {
        // The script never ran, so the WAIT that followed covered nothing: send both again.
        [[scriptError, reply], [waitError, acknowledged]] = await once(true);
      }
      if (scriptError) throw scriptError;
      if (waitError) throw waitError;
      return { reply, acknowledged: typeof acknowledged === 'number' ? acknowledged : 0 };
    });
  }

  async #bounded<T>(script: Script, ms: number, send: () => Promise<T>): Promise<T> {
    try {
      return await withTimeout(send(), ms, () => new Timeout(ms));
    } catch (error) {
      throw this.#fail(script, error);
    }
  }

  #send(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    let sent: Promise<unknown>;
    try {
      sent = this.client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      return Promise.reject(error);
    }
    return sent.catch((error: unknown) => {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.client.eval(script.lua, keys.length, ...keys, ...args);
    });
  }

  // 'wait' is a lazyConnect client that has never connected: sending connects it.
  // 'end' means the user closed the client: waiting would never end.
  #whenReady(): Promise<void> | undefined {
    const status = this.client.status;
    if (status === 'ready' || status === 'wait') return undefined;
    if (status === 'end') return Promise.reject(new Error('the Redis client was closed (status "end")'));
    // One shared waiter, so many waiting requests add one listener, not one each.
    this.#ready ??= new Promise<void>((resolve) => {
      this.client.once('ready', () => {
        this.#ready = undefined;
        resolve();
      });
    });
    return this.#ready;
  }

  #fail(script: Script, error: unknown): SessionError {
    if (error instanceof Timeout) {
      return new SessionError(
        'store_unavailable',
        `[tessera] [redis] no answer within ${error.ms} ms (${script.name}; client status "${this.client.status}"). ` +
          'Check that Redis is reachable; the store recovers by itself when it answers again.',
      );
    }
    const what = error instanceof Error ? error.message : String(error);
    return new SessionError(
      'store_unavailable',
      `[tessera] [redis] ${script.name} failed: ${what}. Check the Redis server and the client's connection.`,
      { cause: error },
    );
  }
}
