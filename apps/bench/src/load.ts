/**
 * The load generator process (pinned to the other core): runs autocannon jobs it gets over
 * IPC, one at a time, each bounded by a duration and a hard stop.
 */
import autocannon from 'autocannon';

export interface LoadJob {
  readonly id: number;
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Cookie headers to rotate through (one per request, round robin), or none. */
  readonly cookies: readonly string[] | null;
  readonly connections: number;
  readonly durationSec: number;
  readonly userAgent: string;
}

export interface LoadResult {
  readonly id: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function run(job: LoadJob): Promise<LoadResult> {
  let next = 0;
  const cookies = job.cookies;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: job.url,
        connections: job.connections,
        pipelining: 1,
        duration: job.durationSec,
        // autocannon only checks for the end of `duration` at each sample tick: 100 ms ticks
        // keep a 1.25 s phase from running 2 s.
        sampleInt: 100,
        timeout: 5,
        headers: { 'user-agent': job.userAgent },
        requests: [
          {
            method: job.method,
            path: job.path,
            ...(cookies && cookies.length > 0
              ? {
                  setupRequest: (req: autocannon.Request) => {
                    const cookie = cookies[next++ % cookies.length]!;
                    return { ...req, headers: { ...req.headers, cookie } };
                  },
                }
              : {}),
          },
        ],
      },
      (err, result) => {
        clearTimeout(hardStop);
        if (err) return reject(err);
        const ok = result['2xx'];
        resolve({
          id: job.id,
          ok,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
          reqPerSec: ok / (result.duration || job.durationSec),
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
        });
      },
    );
    // autocannon stops at `duration`; this is the belt to its braces.
    const hardStop = setTimeout(() => instance.stop(), (job.durationSec + 10) * 1000);
  });
}

process.on('message', (job: LoadJob) => {
  run(job).then(
    (result) => process.send?.({ type: 'result', result }),
    (error: unknown) => process.send?.({ type: 'error', id: job.id, message: String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
