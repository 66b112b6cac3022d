/**
 * The shared shape of an outage run: devices sign in, then read and increment a counter in
 * a load loop; `down()` is called 1.5 s in, `up()` after `downMs`; the load keeps going for
 * `afterMs` after `up()` returned. Returns every answer with its timing and the fault times,
 * and `classify` splits failures into "during the outage" and "outside it".
 */

import { expect } from 'vitest';
import type { FaultApp } from './fault-app.js';
import { Device, isStoreUnavailable } from './http.js';
import { byStatus, runLoad, type Sample, sleep } from './load.js';

export interface OutageRun {
  readonly devices: Device[];
  readonly samples: Sample[];
  readonly downAt: number;
  readonly upAt: number;
  /** Per device: the counter last acknowledged, and increments that answered an error. */
  readonly acked: number[];
  readonly failedIncrements: number[];
}

export async function runOutage(
  app: FaultApp,
  options: {
    readonly clients: number;
    readonly down: () => Promise<void>;
    readonly up: () => Promise<void>;
    readonly downMs?: number;
    readonly afterMs?: number;
  },
): Promise<OutageRun> {
  const devices = Array.from({ length: options.clients }, () => new Device(app.url));
  for (const [i, d] of devices.entries()) {
    const r = await d.send('POST', '/login', { userId: `user-${i}` });
    if (r.status !== 200) throw new Error(`login before the outage failed: ${r.status}`);
  }
  const acked = devices.map(() => 0);
  const failedIncrements = devices.map(() => 0);
  let downAt = 0;
  let upAt = 0;
  const fault = (async () => {
    await sleep(1500);
    downAt = Date.now();
    await options.down();
    await sleep(options.downMs ?? 1000);
    await options.up();
    upAt = Date.now();
  })();
  const samples = await runLoad({
    clients: devices,
    until: Date.now() + 30_000,
    stop: () => upAt > 0 && Date.now() > upAt + (options.afterMs ?? 3000),
    step: async (d, i, record) => {
      record('read', await d.send('GET', '/state'));
      const w = record('write', await d.send('POST', '/counter'));
      if (w.status === 200) acked[i] = (w.body as { counter: number }).counter;
      else failedIncrements[i]! += 1;
    },
  });
  await fault;
  return { devices, samples, downAt, upAt, acked, failedIncrements };
}

/** Failures that are not 503 store_unavailable, and failures outside [downAt, upAt + recoveryMs]. */
export function classify(run: OutageRun, recoveryMs: number) {
  const failures = run.samples.filter((s) => s.status !== 200 && s.status !== 204);
  const recoveredBy = run.upAt + recoveryMs;
  return {
    failures,
    wrongKind: failures.filter((s) => !isStoreUnavailable(s)),
    outside: failures.filter((s) => s.t1 < run.downAt || s.t0 > recoveredBy),
    lastFailureAfterUpMs: failures.length ? Math.max(...failures.map((s) => s.t1)) - run.upAt : null,
    okAfterRecovery: run.samples.filter((s) => s.t0 > recoveredBy && s.status === 200).length,
  };
}

export type Classified = ReturnType<typeof classify>;

/** The figures every outage suite reports (each adds its own). */
export function outageFigures(run: OutageRun, c: Classified, clients: number, crashes: number) {
  return {
    clients,
    requests: run.samples.length,
    byStatus: byStatus(run.samples),
    failuresDuringOutage: c.failures.length - c.outside.length,
    failuresOutsideOutage: c.outside.length,
    non503Failures: c.wrongKind.length,
    downMs: run.upAt - run.downAt,
    lastFailureAfterUpMs: c.lastFailureAfterUpMs,
    crashes,
  };
}

/** Fail closed: no crash, the outage was seen, only 503s and only during it, then recovery. */
export function expectFailClosed(c: Classified, app: FaultApp, clients: number): void {
  expect(app.crashes).toEqual([]);
  expect(c.failures.length).toBeGreaterThan(0);
  expect(c.wrongKind).toEqual([]);
  expect(c.outside).toEqual([]);
  expect(c.okAfterRecovery).toBeGreaterThan(clients);
}

/** Every device is still signed in, its counter holds every acknowledged increment (and at most the failed ones too). */
export async function expectSessionsIntact(run: OutageRun): Promise<void> {
  for (const [i, d] of run.devices.entries()) {
    const s = (await d.send('GET', '/state')).body as { authenticated: boolean; counter: number };
    expect(s.authenticated).toBe(true);
    expect(s.counter).toBeGreaterThanOrEqual(run.acked[i]!);
    expect(s.counter).toBeLessThanOrEqual(run.acked[i]! + run.failedIncrements[i]!);
  }
}
