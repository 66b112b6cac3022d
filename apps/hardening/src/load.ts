/**
 * A load loop: a fixed number of virtual clients, each running its own sequential loop of
 * requests until a deadline (and at most `maxSteps` steps each), with a short pause between
 * steps so two shared cores are not saturated. Every answer is kept with its timing.
 */
import type { Answer } from './http.js';

export interface Sample extends Answer {
  readonly client: number;
  readonly op: string;
}

export interface LoadOptions<C> {
  readonly clients: readonly C[];
  /** Date.now() at which every loop stops (a hard bound). */
  readonly until: number;
  /** Stop earlier, when this says so (checked before each step). */
  readonly stop?: () => boolean;
  /** One step of client `i`: send requests through `record`. */
  readonly step: (client: C, i: number, record: (op: string, answer: Answer) => Answer) => Promise<void>;
  /** Pause between two steps of one client, ms. @default 10 */
  readonly pauseMs?: number;
  /** Upper bound on steps per client. @default 100_000 */
  readonly maxSteps?: number;
}

export async function runLoad<C>(options: LoadOptions<C>): Promise<Sample[]> {
  const samples: Sample[] = [];
  const pause = options.pauseMs ?? 10;
  const maxSteps = options.maxSteps ?? 100_000;
  await Promise.all(
    options.clients.map(async (client, i) => {
      const record = (op: string, answer: Answer) => {
        samples.push({ ...answer, client: i, op });
        return answer;
      };
      for (let n = 0; n < maxSteps && Date.now() < options.until && !options.stop?.(); n++) {
        await options.step(client, i, record);
        if (pause > 0) await new Promise((r) => setTimeout(r, pause));
      }
    }),
  );
  return samples;
}

/** Counts by status, for reports. */
export function byStatus(samples: readonly Sample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) out[s.status] = (out[s.status] ?? 0) + 1;
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
