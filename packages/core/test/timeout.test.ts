import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { withTimeout } from '../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const later = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));
const timedOut = () => new Error('timed out');

describe('withTimeout', () => {
  it('answers what the work answers, value or error', async () => {
    await expect(withTimeout(Promise.resolve(7), 50, timedOut)).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('boom')), 50, timedOut)).rejects.toThrow('boom');
    await expect(withTimeout(later(5, 'late but in time'), 200, timedOut)).resolves.toBe('late but in time');
  });

  it('a plain value or a bare thenable (a store method without async) is an answer; nothing throws later', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      await expect(withTimeout(42 as unknown as Promise<number>, 30, timedOut)).resolves.toBe(42);
      // biome-ignore lint/suspicious/noThenProperty: a bare thenable is what this case hands over.
      const thenable = { then: (ok: (v: string) => void) => ok('bare') } as unknown as Promise<string>;
      await expect(withTimeout(thenable, 30, timedOut)).resolves.toBe('bare');
      // Past the deadline: the old code called work.catch() here and threw from the timer.
      await sleep(80);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
  });
  it('fails with onTimeout() once the duration has passed, and swallows a later failure', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const started = performance.now();
      const work = new Promise((_, reject) => setTimeout(() => reject(new Error('too late')), 80));
      await expect(withTimeout(work, 20, timedOut)).rejects.toThrow('timed out');
      expect(performance.now() - started).toBeGreaterThanOrEqual(19);
      await sleep(120);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('shares one timer per duration without mixing up waits', async () => {
    // 200 waits of 30 ms added over ~15 ms: the odd ones answer in time, the even ones hang.
    const outcomes: Promise<string>[] = [];
    for (let i = 0; i < 200; i++) {
      const work = i % 2 === 1 ? later(1, `ok ${i}`) : new Promise<string>(() => {});
      outcomes.push(withTimeout(work, 30, () => new Error(`timeout ${i}`)).catch((e: Error) => e.message));
      if (i % 20 === 0) await sleep(1);
    }
    // Other durations interleaved must not disturb the 30 ms queue.
    const short = withTimeout(new Promise(() => {}), 5, () => new Error('short')).catch(
      (e: Error) => e.message,
    );
    const long = withTimeout(later(40, 'long ok'), 500, timedOut);
    const answers = await Promise.all(outcomes);
    expect(answers).toEqual(answers.map((_, i) => (i % 2 === 1 ? `ok ${i}` : `timeout ${i}`)));
    expect(await short).toBe('short');
    expect(await long).toBe('long ok');
  });

  it('keeps every wait apart while its ring wraps around and grows', async () => {
    // 1,500 waits of 8 ms, added in bursts every 2 ms that grow from 10 to ~250: expiries free
    // the ring's head while the tail keeps adding (it wraps), and each bigger burst outgrows
    // it with the head mid-ring (it grows). Which waits answer is pseudo-random: settled and
    // live waits interleave in the ring.
    let seed = 3;
    const rand = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const outcomes: Promise<string>[] = [];
    const expected: string[] = [];
    for (let round = 0; outcomes.length < 1500; round++) {
      for (let b = 0; b < 10 + round * 8 && outcomes.length < 1500; b++) {
        const i = outcomes.length;
        const inTime = rand(3) > 0;
        // In time: answered at once (a timer could fire late on a loaded machine); or never.
        const work = inTime ? Promise.resolve(`ok ${i}`) : new Promise<string>(() => {});
        outcomes.push(withTimeout(work, 8, () => new Error(`timeout ${i}`)).catch((e: Error) => e.message));
        expected.push(inTime ? `ok ${i}` : `timeout ${i}`);
      }
      await sleep(2);
    }
    expect(await Promise.all(outcomes)).toEqual(expected);
  });

  it('keeps working after its queue has drained', async () => {
    await expect(withTimeout(new Promise(() => {}), 10, timedOut)).rejects.toThrow('timed out');
    await sleep(20);
    await expect(withTimeout(new Promise(() => {}), 10, timedOut)).rejects.toThrow('timed out');
    await expect(withTimeout(Promise.resolve('again'), 10, timedOut)).resolves.toBe('again');
  });

  it('does not keep the process alive once every wait has settled', async () => {
    // A 60 s bound on work that answered at once: the process must exit right away.
    const source = fileURLToPath(new URL('../src/timeout.ts', import.meta.url));
    const script = `import { withTimeout } from ${JSON.stringify(source)};
      await withTimeout(Promise.resolve(1), 60_000, () => new Error('x'));
      console.log('done');`;
    const started = performance.now();
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { timeout: 20_000 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
    });
    expect(out.trim()).toBe('done');
    expect(performance.now() - started).toBeLessThan(15_000);
  });
});
