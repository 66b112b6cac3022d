// The Lua scripts' replies read back into the store's results.
import type { RotateResult } from '@tessera/session-core';

/** The LOAD script's reply: '0' or '1', then the record's fields as a JSON array. */
export function parseLoadReply(reply: string): unknown[] | undefined {
  if (reply[0] !== '0' && reply[0] !== '1') return undefined;
  try {
    const flat: unknown = JSON.parse(reply.slice(1));
    return Array.isArray(flat) ? flat : undefined;
  } catch {
    return undefined;
  }
}

export function parseRotate(reply: unknown): RotateResult {
  if (!Array.isArray(reply)) return { status: 'conflict' };
  if (reply[0] === 'limit') return { status: 'limit' };
  if (reply[0] !== 'ok') return { status: 'conflict' };
  const handles = Array.isArray(reply[1]) ? (reply[1] as unknown[]) : [];
  return {
    status: 'ok',
    evicted: handles.filter((h): h is string => typeof h === 'string').map((handle) => ({ handle })),
  };
}
