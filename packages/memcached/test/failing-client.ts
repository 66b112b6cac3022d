import { SessionError } from '@tessera/session-core';
import { MemcachedMetaClient, type MetaCommand, type MetaResponse } from '../src/index.js';

/**
 * The real client, except that a round trip containing a command `failOn` matches fails as a
 * lost server would (`store_unavailable`, nothing sent): a deterministic failure between two
 * steps of an operation.
 */
export class FailingClient extends MemcachedMetaClient {
  failOn: ((line: string) => boolean) | undefined;

  override exec(server: number, commands: readonly MetaCommand[]): Promise<MetaResponse[]> {
    const fail = this.failOn;
    if (fail && commands.some((c) => fail(c.line))) {
      return Promise.reject(new SessionError('store_unavailable', '[tessera] [memcached] injected failure'));
    }
    return super.exec(server, commands);
  }
}
