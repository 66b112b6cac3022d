/**
 * `SessionModule.forRoot(options)` / `forRootAsync({ useFactory, inject, imports })`: provides
 * the `SessionManager` under `SESSION_MANAGER`, runs the session middleware on every route,
 * and registers the CSRF guard and the SessionError filter globally.
 */
import {
  ConfigurableModuleBuilder,
  Global,
  Inject,
  Logger,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import {
  createSessionManager,
  type SessionManager,
  type SessionManagerOptions,
  type TrustProxy,
  validateTrustProxy,
} from '@tessera/session-core';
import { CsrfGuard } from './csrf.guard.js';
import { sessionMiddleware } from './internal/middleware.js';
import { SessionExceptionFilter } from './session-exception.filter.js';

/** Injection token of the `SessionManager` (admin API: list/revoke a user's sessions). */
export const SESSION_MANAGER: unique symbol = Symbol('tessera.SessionManager');

export interface SessionHttpOptions {
  /**
   * Proxies in front of the app whose X-Forwarded-For / X-Forwarded-Proto are believed: a hop
   * count or a predicate. @default false (the socket peer is the client)
   */
  readonly trustProxy?: TrustProxy;
}

export interface ExistingManager {
  /** A manager built with `createSessionManager` elsewhere (shared with jobs, admin tools). */
  readonly manager: SessionManager;
}

/**
 * The core's `SessionManagerOptions` (store, policy, cookie, keys, clock... with the core's
 * defaults, except `logger`: Nest's `Logger` with the context 'Tessera', so store outages
 * show up in the app's own log) or `{ manager }`, plus the HTTP options.
 */
export type SessionModuleOptions = (SessionManagerOptions | ExistingManager) & SessionHttpOptions;

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<SessionModuleOptions>(
  { moduleName: 'TesseraSession' },
)
  .setClassMethodName('forRoot')
  .build();

interface Resolved {
  readonly manager: SessionManager;
  readonly trust: TrustProxy;
  readonly owned: boolean;
}
const RESOLVED = Symbol('tessera.resolved');

// Validated once, at start-up: a bad option throws `invalid_config` before the app listens.
function resolve(options: SessionModuleOptions): Resolved {
  const trust = validateTrustProxy(options.trustProxy);
  if ('manager' in options) return { manager: options.manager, trust, owned: false };
  const logger = options.logger ?? new Logger('Tessera');
  return { manager: createSessionManager({ ...options, logger }), trust, owned: true };
}

@Global()
@Module({
  providers: [
    { provide: RESOLVED, useFactory: resolve, inject: [MODULE_OPTIONS_TOKEN] },
    { provide: SESSION_MANAGER, useFactory: (r: Resolved) => r.manager, inject: [RESOLVED] },
    { provide: APP_GUARD, useClass: CsrfGuard },
    { provide: APP_FILTER, useClass: SessionExceptionFilter },
  ],
  exports: [SESSION_MANAGER],
})
export class SessionModule extends ConfigurableModuleClass implements NestModule, OnApplicationShutdown {
  constructor(@Inject(RESOLVED) private readonly resolved: Resolved) {
    super();
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(sessionMiddleware(this.resolved.manager, this.resolved.trust)).forRoutes('*');
  }

  async onApplicationShutdown(): Promise<void> {
    // A store passed in through `manager` belongs to whoever built that manager.
    if (this.resolved.owned) await this.resolved.manager.close();
  }
}
