/** Shared plumbing of the store's operations: context, CAS backoff, batched session reads. */
import { SessionError, type StoredSession } from '@tessera/session-core';
import type { MemcachedMetaClient, MetaCommand, MetaResponse } from '../meta-client.js';
import { decodeSession, sessionItemKey } from './codec.js';

export interface Ctx {
  readonly client: MemcachedMetaClient;
  readonly prefix: string;
  readonly casRetries: number;
}

/** Random, growing pause between CAS attempts, so N contenders spread out instead of colliding again. */
export function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(2 ** attempt, 20);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Any reply outside `codes` means the server and this client disagree about the protocol. */
export function expect(r: MetaResponse | undefined, codes: readonly string[], what: string): void {
  if (!r || !codes.includes(r.code)) {
    throw new SessionError(
      'store_unavailable',
      `[tessera] [memcached] unexpected reply ${r?.code ?? '(none)'} to ${what}; is the server memcached >= 1.6?`,
    );
  }
}

/** Run one command per item, grouped by server: one round trip per server, all in parallel. */
export async function fanOut(
  ctx: Ctx,
  items: readonly { readonly routing: string; readonly command: MetaCommand }[],
): Promise<MetaResponse[]> {
  const groups = new Map<number, number[]>();
  items.forEach((item, i) => {
    const server = ctx.client.serverFor(item.routing);
    const group = groups.get(server);
    if (group) group.push(i);
    else groups.set(server, [i]);
  });
  const out: MetaResponse[] = new Array(items.length);
  await Promise.all(
    [...groups].map(async ([server, idx]) => {
      const replies = await ctx.client.exec(
        server,
        idx.map((i) => items[i]!.command),
      );
      idx.forEach((i, j) => {
        out[i] = replies[j]!;
      });
    }),
  );
  return out;
}

export interface SessionRef {
  readonly id: string;
  readonly tag: string;
}

/** Read several sessions in one round trip per server. Missing or corrupt → undefined. */
export async function readSessions(
  ctx: Ctx,
  refs: readonly SessionRef[],
): Promise<(StoredSession | undefined)[]> {
  if (refs.length === 0) return [];
  const replies = await fanOut(
    ctx,
    refs.map((r) => ({
      routing: r.tag || r.id,
      command: { line: `mg ${sessionItemKey(ctx.prefix, r.id)} v` },
    })),
  );
  return replies.map((r) => {
    if (r.code !== 'VA' || !r.value) return undefined;
    const d = decodeSession(r.value);
    return d.ok ? d.value : undefined;
  });
}

/** Delete several sessions in one round trip per server; answers, per ref, whether it existed. */
export async function deleteEach(ctx: Ctx, refs: readonly SessionRef[]): Promise<boolean[]> {
  if (refs.length === 0) return [];
  const replies = await fanOut(
    ctx,
    refs.map((r) => ({
      routing: r.tag || r.id,
      command: { line: `md ${sessionItemKey(ctx.prefix, r.id)}` },
    })),
  );
  return replies.map((r) => r.code === 'HD');
}

/** Delete several sessions in one round trip per server; answers how many existed. */
export async function deleteSessions(ctx: Ctx, refs: readonly SessionRef[]): Promise<number> {
  return (await deleteEach(ctx, refs)).filter(Boolean).length;
}
