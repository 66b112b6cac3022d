import type { SessionManager } from '@tessera/session-core';
import type { DemoData } from '../api.js';

/** What every framework wiring exports: start on a port (0 = any), answer the URL and a stop. */
export type StartApp = (
  manager: SessionManager<DemoData>,
  port: number,
) => Promise<{ readonly url: string; close(): Promise<void> }>;
