export type { RequireAuthOptions, Session, SessionData, TrustProxy } from '@tessera/session-core';
export { csrf, requireAuth, skipCsrf } from './guards.js';
export { loginAttempt, loginThrottle } from './login-throttle.js';
export { type HonoSessionOptions, type SessionEnv, type SessionMiddleware, session } from './session.js';
