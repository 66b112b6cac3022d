/**
 * What a request's load found, as the lifecycle event that judges it: the stored record's
 * metadata and client changes, or why the presented token is refused.
 */
import type { DataChanges } from './changes.js';
import { clientChanges, sameClient } from './client.js';
import type { RejectReason } from './events.js';
import type { LifecycleEvent, SessionMeta } from './lifecycle.js';
import type { ManagerInternals } from './manager.js';
import { decodeStored } from './record.js';
import type { LoadResult, StoredClient } from './store.js';

/** The requesting client, as the anomaly check compares it with the recorded one. */
export interface ClientFacts {
  readonly ip: string | null | undefined;
  readonly userAgent: string | undefined;
  current(): StoredClient;
}

export function emitRejected(m: ManagerInternals, reason: RejectReason, handle: string | null): void {
  m.emit({ type: 'rejected', at: m.clock.now(), reason, handle });
}

/** The `load` event for what the store answered; a found record's data goes into `changes`. */
export function loadEventOf(
  m: ManagerInternals,
  sid: string,
  handle: string,
  now: number,
  result: LoadResult,
  client: ClientFacts,
  changes: DataChanges,
): LifecycleEvent {
  if (result.status !== 'found') {
    emitRejected(m, result.status === 'corrupt' ? 'corrupt' : 'unknown', handle);
    return { type: 'load', sid, outcome: { status: result.status }, clientChanges: [] };
  }
  const decoded = decodeStored(result.session);
  if (!decoded.ok) {
    m.emit({
      type: 'store-error',
      at: now,
      operation: 'decode',
      message: `corrupt record: ${decoded.detail}`,
      handle,
    });
    emitRejected(m, 'corrupt', handle);
    return { type: 'load', sid, outcome: { status: 'corrupt' }, clientChanges: [] };
  }
  const s = result.session;
  const meta: SessionMeta = {
    handle: s.handle,
    userId: s.userId,
    createdAt: s.createdAt,
    lastSeenAt: s.lastSeenAt,
    idleTimeoutMs: s.idleTimeoutMs,
    absoluteExpiresAt: s.absoluteExpiresAt,
    authenticatedAt: s.authenticatedAt,
    client: s.client,
  };
  // Hash only when the raw values differ: the usual request comes from where it logged in.
  const changed =
    s.userId !== null &&
    s.client &&
    m.policy.clientBinding !== 'off' &&
    !sameClient(s.client, client.ip, client.userAgent)
      ? clientChanges(s.client, client.current())
      : [];
  changes.adopt(decoded.data, s.data);
  return {
    type: 'load',
    sid,
    outcome: { status: 'found', meta, touched: result.touched },
    clientChanges: changed,
  };
}
