/**
 * Opt-in durable login/logout/revocation: `WAIT numreplicas timeout` sent in the same
 * pipeline (one round trip, the same connection, so the same Cluster node) as the rotate,
 * destroy and revoke scripts, on a connection of the store's own (`internal/lane.ts`), so a
 * WAIT never holds up the client's other commands. Redis replication is asynchronous; WAIT does not make it synchronous, but it
 * tells the caller how many replicas had the write before the answer, so a login or logout
 * that could still be lost by a failover is known at the time it happens.
 */
import { SessionError } from '@tessera/session-core';

/** What happened when fewer replicas acknowledged than asked for. */
export interface DurabilityShortfall {
  /**
   * `'login'` (a rotate that wrote), `'logout'` (a destroy that removed a session) or
   * `'revoke'` (`revokeUserSessions` that removed at least one).
   */
  readonly operation: 'login' | 'logout' | 'revoke';
  /** Replicas that acknowledged the write within `timeoutMs`. */
  readonly acknowledged: number;
  /** `durability.replicas`. */
  readonly wanted: number;
}

export interface RedisDurability {
  /**
   * Replicas that must acknowledge a login, logout or revocation. With a master and one replica, `1`.
   * `0` sends no WAIT at all.
   */
  readonly replicas: number;
  /**
   * Longest wait for the replicas, ms (WAIT's timeout). It is added to the store's
   * `timeoutMs` for those calls only. Must be > 0: `WAIT n 0` would block forever.
   */
  readonly timeoutMs: number;
  /**
   * Called instead of throwing when fewer than `replicas` acknowledged. The write has
   * happened on the master either way. Without it, the call throws
   * `SessionError('store_unavailable')` (503), so the user is told the login or logout is
   * not confirmed and retries.
   * @default undefined (throw)
   */
  readonly onShortfall?: (shortfall: DurabilityShortfall) => void;
}

/** Validated once at construction; `undefined` when durability is off. */
export function validateDurability(value: RedisDurability | undefined): RedisDurability | undefined {
  if (value === undefined) return undefined;
  const bad = (what: string) => new SessionError('invalid_config', `[tessera] [redis] \`durability.${what}`);
  if (typeof value !== 'object' || value === null) throw bad(' must be an object { replicas, timeoutMs }`');
  const { replicas, timeoutMs, onShortfall } = value;
  if (!Number.isInteger(replicas) || replicas < 0)
    throw bad(`replicas\` must be a non-negative integer, got ${replicas}`);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw bad(`timeoutMs\` must be a positive number of milliseconds, got ${timeoutMs}`);
  if (onShortfall !== undefined && typeof onShortfall !== 'function')
    throw bad('onShortfall` must be a function');
  return replicas === 0 ? undefined : { replicas, timeoutMs: Math.ceil(timeoutMs), onShortfall };
}

/** Throw or report when fewer replicas acknowledged than asked for. */
export function checkAcknowledged(
  durability: RedisDurability,
  operation: DurabilityShortfall['operation'],
  acknowledged: number,
): void {
  if (acknowledged >= durability.replicas) return;
  const shortfall = { operation, acknowledged, wanted: durability.replicas };
  if (durability.onShortfall) {
    durability.onShortfall(shortfall);
    return;
  }
  throw new SessionError(
    'store_unavailable',
    `[tessera] [redis] ${operation} written on the master but only ${acknowledged} of ${durability.replicas} ` +
      `replica(s) acknowledged within ${durability.timeoutMs} ms: a failover now could undo it. ` +
      'Check replication (INFO replication), or lower `durability.replicas`.',
  );
}
