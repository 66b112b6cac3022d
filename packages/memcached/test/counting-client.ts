import { MemcachedMetaClient, type MetaCommand, type MetaResponse } from '../src/index.js';

/** The real client, recording each round trip (one `exec`) and its command verbs. */
export class CountingClient extends MemcachedMetaClient {
  trips: string[][] = [];

  override exec(server: number, commands: readonly MetaCommand[]): Promise<MetaResponse[]> {
    this.trips.push(commands.map((c) => c.line.split(' ')[0]!));
    return super.exec(server, commands);
  }

  reset(): void {
    this.trips = [];
  }

  get writes(): number {
    return this.trips.flat().filter((v) => v === 'ms' || v === 'md').length;
  }
}
