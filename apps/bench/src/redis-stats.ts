/**
 * Counting Redis work: `INFO commandstats` deltas (every command the server executed,
 * including those a Lua script ran), and a MONITOR window that tells the commands clients
 * sent (script internals show up as `[0 lua]` and are not sent by anyone).
 */
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import type { Redis } from 'ioredis';

export type CommandStats = Record<string, number>;

/** Calls per command name, and the microseconds Redis spent in each (`usec`). */
export async function commandStats(client: Redis): Promise<{ calls: CommandStats; usec: CommandStats }> {
  const text = await client.info('commandstats');
  const calls: CommandStats = {};
  const usec: CommandStats = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    calls[m[1]!] = Number(m[2]);
    usec[m[1]!] = Number(m[3]);
  }
  return { calls, usec };
}

/** The Redis server process's CPU time (user + system, µs) from /proc; null where there is none. */
export function processCpuUs(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (USER_HZ, 100 on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
  } catch {
    return null;
  }
}

/** Commands of the workload only: the runner's own INFO / MONITOR / CONFIG are left out. */
const OWN = /^(info|monitor|config|memory|scan|ping|flushall|client|select|dbsize)/;

export function diffStats(before: CommandStats, after: CommandStats): CommandStats {
  const out: CommandStats = {};
  for (const [name, calls] of Object.entries(after)) {
    const d = calls - (before[name] ?? 0);
    if (d > 0 && !OWN.test(name)) out[name] = d;
  }
  return out;
}

export function total(stats: CommandStats): number {
  return Object.values(stats).reduce((a, b) => a + b, 0);
}

/**
 * Run `work` with a MONITOR connection open and count the commands clients sent (lines not
 * from `lua`). Lines are counted as they arrive, so a window under full load (a warm-up)
 * costs no memory; the window closes 100 ms after `work` ends.
 */
export async function clientCommandsDuring(
  port: number,
  work: () => Promise<unknown>,
): Promise<{
  count: number;
  names: Set<string>;
  sent: Record<string, number>;
  sentShare: Record<string, number>;
}> {
  const socket = createConnection({ host: '127.0.0.1', port });
  let rest = '';
  let ok = false;
  let count = 0;
  const names = new Set<string>();
  const sent: Record<string, number> = {};
  const inScripts: Record<string, number> = {};
  const line = (text: string) => {
    if (text === '+OK') ok = true;
    const m = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] "([^"]+)"/.exec(text);
    if (!m) return;
    const name = m[2]!.toLowerCase();
    if (m[1] === 'lua') {
      inScripts[name] = (inScripts[name] ?? 0) + 1;
      return;
    }
    if (/^(info|monitor|ping)$/i.test(name)) return;
    count++;
    names.add(name);
    sent[name] = (sent[name] ?? 0) + 1;
  };
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\r\n');
    rest = lines.pop()!;
    for (const text of lines) line(text);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.write('MONITOR\r\n');
  const deadline = Date.now() + 2000;
  while (!ok && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  try {
    await work();
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    socket.destroy();
  }
  // A command both sent and run inside scripts (Tessera's HGETALL: a read sends it, the update
  // script runs it too) has one commandstats line for both: the share that was sent is what
  // counts as its own Redis time (the script's usec already holds the rest).
  const sentShare: Record<string, number> = {};
  for (const name of names) sentShare[name] = sent[name]! / (sent[name]! + (inScripts[name] ?? 0));
  return { count, names, sent, sentShare };
}
