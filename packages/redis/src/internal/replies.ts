// Redis' replies (HGETALL, the Lua scripts') read back into the store's results.
import type { RotateResult } from '@tessera/session-core';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A reply string, as a string: node-redis may map bulk strings to Buffers. */
function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) {
    try {
      return utf8.decode(v);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * HGETALL's reply as `[field, value, ...]` strings, whatever shape the client gave it: a flat
 * array (RESP2; ioredis), a Map or a plain object (node-redis on RESP3, by its type mapping),
 * strings or Buffers. Undefined for anything else (or bytes that are not UTF-8).
 */
export function flatHash(reply: unknown): string[] | undefined {
  if (Array.isArray(reply)) {
    if (reply.every((v) => typeof v === 'string')) return reply as string[];
    const out: string[] = [];
    for (const v of reply) {
      const t = text(v);
      if (t === undefined) return undefined;
      out.push(t);
    }
    return out;
  }
  const entries =
    reply instanceof Map
      ? [...reply.entries()]
      : typeof reply === 'object' && reply !== null && !(reply instanceof Uint8Array)
        ? Object.entries(reply)
        : undefined;
  if (entries === undefined) return undefined;
  const out: string[] = [];
  for (const [f, v] of entries) {
    const field = text(f);
    const value = text(v);
    if (field === undefined || value === undefined) return undefined;
    out.push(field, value);
  }
  return out;
}

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
