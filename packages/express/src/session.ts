/**
 * Express 5 middleware: one `RequestSession` per request, at `req.session`. The response is
 * held at its first byte until `commit()` has written the session and its Set-Cookie is on
 * the response (see `commitBeforeSend` in `@tessera/session-core/node`), so `res.redirect()` after login never races the save.
 */
import {
  adapterEntry,
  type CsrfFormSource,
  type CsrfResult,
  csrfSkip,
  enforceCsrf,
  isSessionError,
  peekBody,
  resolveSessionOptions,
  type Session,
  SessionError,
  type SessionManager,
  type SessionOptions,
} from '@tessera/session-core';
import {
  commitBeforeSend,
  NodeSessionRequest,
  responseSent,
  sendSessionError as send,
} from '@tessera/session-core/node';
import type { ErrorRequestHandler, RequestHandler } from 'express';

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
    let request: NodeSessionRequest;
    try {
      // The session's trustProxy decides the client IP and origin, not Express's `trust proxy`.
      request = new NodeSessionRequest(req, trust);
      rs = await manager.begin(request);
    } catch (error) {
      if (!isSessionError(error)) throw error;
      return send(res, error);
    }
    // On the session, not on req: after Express swapped req's prototype every property
    // added to it costs microseconds, and req.session is the one it must have.
    const form: CsrfFormSource = {
      // A body parser mounted before session() already read the body: its field is used.
      parsed: () => req.body,
      // Otherwise the bytes are read and put back, for the app's body parser after this one.
      read: (length) => peekBody(req, length),
    };
    const entry = { verifyCsrf: () => rs.verifyCsrf(form), csrfEnforced: false, manager, ip: request.ip };
    adapterEntry.set(rs, entry);
    req.session = rs.session;
    if (manager.policy.csrf.enabled) {
      const checked = enforceCsrf(rs, form, () => csrfSkip.marked(req));
      const result: CsrfResult = checked instanceof Promise ? await checked : checked;
      if (!result.ok) {
        // What loading left to send (a rejected cookie's clearing, with no-store) goes too;
        // nothing was changed, so the commit writes nothing.
        for (const [name, value] of await rs.commit()) res.appendHeader(name, value);
        return send(res, new SessionError('csrf', `request refused: ${result.reason}.`));
      }
      entry.csrfEnforced = true;
    }
    commitBeforeSend(res, rs);
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
    // Already answered (or ended while held for the commit): Express's final handler logs it.
    if (!isSessionError(error) || responseSent(res)) return next(error);
    send(res, error);
  };
}
