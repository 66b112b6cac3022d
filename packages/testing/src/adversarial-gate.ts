// The gate that holds chosen store operations, to force an interleaving instead of hoping for it.
import type { SessionStore } from '@tessera/session-core';
import { type InstrumentedStore, STORE_OPERATIONS, type StoreOperation } from './instrumented-store.js';

const GATE_WAIT_MS = 5_000;

/** Holds calls of one store operation until released, to force a given interleaving. */
export class Gate {
  #op: StoreOperation | null = null;
  #want = 0;
  #waiting: (() => void)[] = [];
  #arrived: (() => void) | null = null;

  /** Hold every `op` call; resolves once `count` of them are waiting (or fails after 5 s). */
  arm(op: StoreOperation, count: number): Promise<void> {
    this.#op = op;
    this.#want = count;
    const arrived = new Promise<void>((resolve) => {
      this.#arrived = resolve;
    });
    return withTimeout(arrived, GATE_WAIT_MS, `${count} ${op} call(s) to arrive`);
  }

  async pass(op: StoreOperation): Promise<void> {
    if (op !== this.#op) return;
    await new Promise<void>((resolve) => {
      this.#waiting.push(resolve);
      if (this.#waiting.length >= this.#want) this.#arrived?.();
    });
  }

  release(): void {
    this.#op = null;
    this.#arrived = null;
    for (const resume of this.#waiting.splice(0)) resume();
  }
}

export function gated(inner: InstrumentedStore, gate: Gate): SessionStore {
  const store: Record<string, unknown> = {
    name: inner.name,
    capabilities: inner.capabilities,
    close: () => Promise.resolve(),
  };
  if (inner.limits) store.limits = inner.limits;
  if (inner.shardTag) store.shardTag = (userId: string | null) => inner.shardTag!(userId);
  for (const op of STORE_OPERATIONS) {
    store[op] = async (...args: unknown[]) => {
      await gate.pass(op);
      return (inner[op] as (...a: unknown[]) => Promise<unknown>).apply(inner, args);
    };
  }
  return store as unknown as SessionStore;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
