export type { RequireAuthOptions, Session, SessionData, TrustProxy } from '@tessera/session-core';
export { commitBeforeSend, responseSent, sendSessionError } from '@tessera/session-core/node';
export { csrf, requireAuth, skipCsrf } from './guards.js';
export { loginAttempt, loginThrottle } from './login-throttle.js';
export {
  type ExpressSessionOptions,
  type SessionMiddleware,
  session,
  sessionErrorHandler,
} from './session.js';
