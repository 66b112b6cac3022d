export type { RequireAuthOptions, Session, SessionData, TrustProxy } from '@tessera/session-core';
export { csrf, requireAuth, type SessionGuard } from './guards.js';
export { loginAttempt, loginThrottle } from './login-throttle.js';
export { type FastifySessionOptions, type TesseraRouteConfig, tesseraSession } from './plugin.js';
export { replySessionError } from './reply.js';
