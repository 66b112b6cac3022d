export type { RequireAuthOptions, Session, SessionData, TrustProxy } from '@tessera/session-core';
export { csrf, requireAuth, skipCsrf } from './guards.js';
export { commitBeforeSend, responseSent, sendSessionError } from './respond.js';
export {
  type ExpressSessionOptions,
  type SessionMiddleware,
  session,
  sessionErrorHandler,
} from './session.js';
