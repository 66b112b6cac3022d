/**
 * `--profile=DIR`: a V8 CPU profile of each measured phase only (not start-up, pool set-up or
 * warm-up), one file per phase, with the number of requests it served, so the summary can
 * say µs per request (`src/profile-summary.ts`).
 */

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

export class PhaseProfiler {
  readonly #session = new Session();
  #running = false;
  #requestsAtStart = 0;
  #phase = 0;

  constructor(
    readonly dir: string,
    readonly name: string,
  ) {
    this.#session.connect();
  }

  get running(): boolean {
    return this.#running;
  }

  /** Start on one call, stop and write on the next. */
  async toggle(requests: number): Promise<void> {
    if (!this.#running) {
      await this.#session.post('Profiler.enable');
      await this.#session.post('Profiler.setSamplingInterval', { interval: 500 });
      await this.#session.post('Profiler.start');
      this.#requestsAtStart = requests;
      this.#running = true;
      return;
    }
    const { profile } = await this.#session.post('Profiler.stop');
    this.#running = false;
    const file = join(this.dir, `${this.name.replace(/[^\w+.-]/g, '_')}.${++this.#phase}.cpuprofile`);
    writeFileSync(file, JSON.stringify({ ...profile, requests: requests - this.#requestsAtStart }));
  }
}
