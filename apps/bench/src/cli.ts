// The bench's command line (flags: see run.ts) read into the run's configuration, and its log.
import { resolve } from 'node:path';

const args = process.argv.slice(2);
export const flag = (name: string) => args.includes(`--${name}`);
export const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];

export const quick = flag('quick');
export const config = {
  // A full run: every phase 3 s of warm-up then 10 s measured, two passes in opposite (ABBA)
  // order, so two passes agree within a few percent on CPU per request. --quick is a smoke test.
  passes: Number(value('passes') ?? (quick ? 1 : 2)),
  durationSec: Number(value('duration') ?? (quick ? 0.4 : 10)),
  warmupSec: Number(value('warmup') ?? (quick ? 0.4 : 3)),
  connections: Number(value('connections') ?? 32),
  poolSize: quick ? 100 : 1000,
  scale: flag('scale') || (!quick && !flag('no-scale')),
  scaleSessions: Number(value('scale-sessions') ?? 1_000_000),
};
export const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const PG_SCHEMA = 'tessera_bench';

export const log = (s: string) => process.stderr.write(`${s}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where to write a V8 CPU profile of every measured phase (`--profile=DIR`), if asked. */
export const profileDir = value('profile') && resolve(value('profile')!);
