/**
 * The per-request wiring: the neutral request for `manager.begin`, the state for guards and
 * `@CurrentSession()`, and the commit held before the first byte. Plain Node types, so the same
 * function runs as Nest middleware on Express and (through middie) on Fastify.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { isSessionError, resolveClientIp, type SessionManager, type TrustProxy } from '@tessera/session-core';
import { commitBeforeSend, sendSessionError } from '@tessera/session-core/node';
import { attachState } from './request-state.js';

type Next = (error?: unknown) => void;

export function sessionMiddleware(manager: SessionManager, trust: TrustProxy) {
  return async (req: IncomingMessage, res: ServerResponse, next: Next): Promise<void> => {
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    const forwardedProto = trust === false ? undefined : header('x-forwarded-proto')?.split(',')[0]?.trim();
    const proto = forwardedProto ?? ((req.socket as TLSSocket).encrypted ? 'https' : 'http');
    const host = header('host');
    let rs: Awaited<ReturnType<typeof manager.begin>>;
    try {
      rs = await manager.begin({
        method: req.method ?? 'GET',
        header,
        ip: resolveClientIp(req.socket.remoteAddress, header('x-forwarded-for'), trust),
        selfOrigin: host ? `${proto}://${host}` : null,
      });
    } catch (error) {
      if (!isSessionError(error)) return next(error);
      return sendSessionError(res, error);
    }
    attachState(req, { rs, manager });
    commitBeforeSend(res, rs);
    next();
  };
}
