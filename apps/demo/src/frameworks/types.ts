import type { LoginThrottle, SessionManager } from '@tessera/session-core';
import type { DemoData } from '../api.js';

/**
 * What every framework wiring exports: start on a port (0 = any), answer the URL and a stop.
 * `throttle` guards POST /api/login (the wiring's adapter's `loginThrottle()`).
 */
export type StartApp = (
  manager: SessionManager<DemoData>,
  port: number,
  throttle: LoginThrottle,
) => Promise<{ readonly url: string; close(): Promise<void> }>;
