import type { SessionKey, SessionStore, StoredSession } from '@tessera/session-core';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A random at-rest id shaped like the core's (43 base64url characters). */
export function randomId(): string {
  const bytes = new Uint8Array(43);
  crypto.getRandomValues(bytes);
  let out = '';
  for (const b of bytes) out += B64[b & 63];
  return out;
}

/** A fresh key, routed the way the store routes `userId` (or an anonymous session). */
export function keyFor(store: SessionStore, userId: string | null = null): SessionKey {
  return { id: randomId(), tag: store.shardTag ? store.shardTag(userId) : '' };
}

export interface SessionShape {
  userId?: string | null;
  now?: number;
  idleTimeoutMs?: number;
  absoluteTimeoutMs?: number;
  data?: Record<string, unknown>;
  handle?: string;
}

/** A well-formed stored session, valid from `now`. Data values are JSON-encoded as the core does. */
export function storedSession(shape: SessionShape = {}): StoredSession {
  const now = shape.now ?? Date.now();
  const userId = shape.userId ?? null;
  const data: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(shape.data ?? {})) data[k] = JSON.stringify(v);
  return {
    version: 1,
    handle: shape.handle ?? randomId().slice(0, 16),
    userId,
    createdAt: now,
    lastSeenAt: now,
    idleTimeoutMs: shape.idleTimeoutMs ?? 30 * 60_000,
    absoluteExpiresAt: now + (shape.absoluteTimeoutMs ?? 8 * 3_600_000),
    authenticatedAt: userId === null ? null : now,
    client:
      userId === null
        ? null
        : {
            ip: '203.0.113.7',
            ipPrefix: '203.0.113.0/24',
            userAgent: 'conformance/1.0',
            uaHash: 'uaHashValue1',
          },
    data,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
