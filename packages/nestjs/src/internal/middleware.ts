/**
 * The per-request wiring: the neutral request for `manager.begin`, the state for guards and
 * `@CurrentSession()`, and the commit held before the first byte. Plain Node types, so the same
 * function runs as Nest middleware on Express and (through middie) on Fastify.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSessionError, type SessionManager, type TrustProxy } from '@tessera/session-core';
import { commitBeforeSend, NodeSessionRequest, sendSessionError } from '@tessera/session-core/node';
import { attachState } from './request-state.js';

type Next = (error?: unknown) => void;

export function sessionMiddleware(manager: SessionManager, trust: TrustProxy) {
  return async (req: IncomingMessage, res: ServerResponse, next: Next): Promise<void> => {
    let rs: Awaited<ReturnType<typeof manager.begin>>;
    let request: NodeSessionRequest;
    try {
      // Client IP and selfOrigin from the session's trustProxy, as in the other Node adapters.
      request = new NodeSessionRequest(req, trust);
      rs = await manager.begin(request);
    } catch (error) {
      if (!isSessionError(error)) return next(error);
      return sendSessionError(res, error);
    }
    attachState(req, { rs, manager, ip: request.ip });
    commitBeforeSend(res, rs);
    next();
  };
}
