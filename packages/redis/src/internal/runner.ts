/**
 * Runs a script in one round trip with a bounded wait, and turns every failure into
 * `SessionError('store_unavailable')`.
 *
 * EVALSHA first; only a server that has never seen the script (NOSCRIPT: first call after
 * a restart or failover, or a new Cluster node) costs a second trip with EVAL, which also
 * caches it. Calls are only sent once the client is `ready`, so they never sit in
 * ioredis' offline queue while Redis is away, whatever the client's settings.
 */
import { SessionError } from '@tessera/session-core';
import type { Script } from './scripts.js';

/** The slice of ioredis' `Redis` / `Cluster` this store uses. */
export interface ScriptClient {
  readonly status: string;
  readonly isCluster?: boolean;
  evalsha(sha: string, numKeys: number, ...args: string[]): Promise<unknown>;
  eval(lua: string, numKeys: number, ...args: string[]): Promise<unknown>;
  once(event: 'ready', listener: () => void): unknown;
  off(event: 'ready', listener: () => void): unknown;
}

class Timeout extends Error {}

export class ScriptRunner {
  #ready: Promise<void> | undefined;

  constructor(
    private readonly client: ScriptClient,
    private readonly timeoutMs: number,
  ) {}

  async run(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Timeout()), this.timeoutMs);
      timer.unref?.();
    });
    try {
      return await Promise.race([this.#send(script, keys, args), deadline]);
    } catch (error) {
      throw this.#fail(script, error);
    } finally {
      clearTimeout(timer);
    }
  }

  async #send(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    await this.#whenReady();
    try {
      return await this.client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await this.client.eval(script.lua, keys.length, ...keys, ...args);
    }
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
        `[tessera] [redis] no answer within ${this.timeoutMs} ms (${script.name}; client status "${this.client.status}"). ` +
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
