/**
 * Express 5 middleware: one `RequestSession` per request, at `req.session`. The response is
 * held at its first byte until `commit()` has written the session and its Set-Cookie is on
 * the response (see respond.ts), so `res.redirect()` after login never races the save.
 */
import {
  adapterEntry,
  isSessionError,
  resolveClientIp,
  resolveSessionOptions,
  type Session,
  type SessionManager,
  type SessionOptions,
} from '@tessera/session-core';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { commitBeforeSend, sendSessionError as send } from './respond.js';

declare global {
  namespace Express {
    interface Request {
      /** This request's session (set by `session()` from `@tessera/session-express`). */
      session: Session;
    }
  }
}

/** Manager options (a manager is built once), or a manager you built and share; plus `trustProxy`. */
export type ExpressSessionOptions = SessionOptions;

export type SessionMiddleware = RequestHandler & {
  /** The manager behind this middleware (admin API: list/revoke a user's sessions). */
  readonly manager: SessionManager;
};

/**
 * Session middleware; the handle is `req.session`. Type its data by augmenting `SessionData`
 * (`declare module '@tessera/session-core' { interface SessionData { cart: string[] } }`).
 */
export function session(options: ExpressSessionOptions): SessionMiddleware {
  const { manager, trust } = resolveSessionOptions(options);
  const middleware: RequestHandler = async (req, res, next) => {
    let rs: Awaited<ReturnType<SessionManager['begin']>>;
    try {
      rs = await manager.begin({
        method: req.method,
        header: (name) => req.get(name),
        ip: resolveClientIp(req.socket.remoteAddress, req.get('x-forwarded-for'), trust),
        selfOrigin: `${req.protocol}://${req.get('host') ?? ''}`,
      });
    } catch (error) {
      if (!isSessionError(error)) throw error;
      return send(res, error);
    }
    adapterEntry.set(req, { checkCsrf: (form) => rs.checkCsrf(form), manager });
    req.session = rs.session;
    commitBeforeSend(res, () => rs.commit());
    next();
  };
  return Object.assign(middleware, { manager });
}

/**
 * Error middleware that answers a SessionError thrown by a handler (`session_limit`...) with
 * its status and `{ error }` JSON, never a stack; other errors pass on. Mount it after routes.
 */
export function sessionErrorHandler(): ErrorRequestHandler {
  return (error, _req, res, next) => {
    if (!isSessionError(error) || res.headersSent) return next(error);
    send(res, error);
  };
}
