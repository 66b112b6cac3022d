export { CsrfGuard, SkipCsrf } from './csrf.guard.js';
export { CurrentLoginAttempt, loginThrottle } from './login-throttle.guard.js';
export { CurrentSession, Session } from './session.decorator.js';
export { RequireAuth, SessionGuard } from './session.guard.js';
export {
  type ExistingManager,
  SESSION_MANAGER,
  type SessionHttpOptions,
  SessionModule,
  type SessionModuleOptions,
} from './session.module.js';
export { SessionExceptionFilter } from './session-exception.filter.js';
