export type {
  LoginAttempt,
  LoginThrottle,
  RequireAuthOptions,
  Session,
  SessionData,
  TrustProxy,
} from '@tessera/session-core';
export { checkAuth, checkCsrf, requireAuth, skipCsrf, skipCsrfFor } from './guards.js';
export { loginAttempt, loginThrottle } from './login-throttle.js';
export {
  type CookieSource,
  type HeaderSource,
  type ReadSessionOptions,
  readSession,
  type SessionView,
} from './read.js';
export {
  getSession,
  type SessionHandler,
  type SessionWrapped,
  type WebHandler,
  type WebSessionOptions,
  withSession,
} from './session.js';
