/**
 * Fixtures for `migrateFrom: expressSession(...)`: an express-session cookie as
 * cookie-signature signs it, and an in-memory `MigrationSource` that counts its calls (a
 * forged cookie must cost none).
 */
import { createHmac } from 'node:crypto';
import type { MigrationSource, TakenSession } from '@tessera/session-core';

/** The `connect.sid` cookie value express-session sends for `sid`: URL-encoded `s:<sid>.<signature>`. */
export function expressSessionCookie(sid: string, secret: string): string {
  const signature = createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '');
  return encodeURIComponent(`s:${sid}.${signature}`);
}

export interface MemoryMigrationSource extends MigrationSource {
  /** The old sessions by sid, as express-session stored them. */
  readonly records: Map<string, TakenSession>;
  /** Calls so far, per method. */
  readonly calls: { take: number; restore: number };
  /** Make every `take` wait this long first (to hold parallel requests in flight). */
  delayMs: number;
}

/** An atomic in-memory source (one process: a Map's get-and-delete is atomic). */
export function memoryMigrationSource(): MemoryMigrationSource {
  const records = new Map<string, TakenSession>();
  const calls = { take: 0, restore: 0 };
  const source: MemoryMigrationSource = {
    name: 'memory',
    atomic: true,
    records,
    calls,
    delayMs: 0,
    async take(sid) {
      calls.take++;
      if (source.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, source.delayMs));
      const taken = records.get(sid) ?? null;
      records.delete(sid);
      return taken;
    },
    async restore(sid, taken) {
      calls.restore++;
      if (!records.has(sid)) records.set(sid, taken);
    },
  };
  return source;
}
