/**
 * `pnpm start`: the demo on http://localhost:3000 (memory store, Hono) unless the
 * environment says otherwise; see README for DEMO_FRAMEWORK, DEMO_NEST_PLATFORM, SESSION_STORE and the rest.
 */
import './production.js';
import { createLoginThrottle, createSessionManager } from '@tessera/session-core';
import type { DemoData } from './api.js';
import { readConfig, sessionOptions, throttleOptions } from './config.js';
import type { StartApp } from './frameworks/types.js';
import { migrationOf } from './migration.js';
import { openStore } from './stores.js';

const config = readConfig();
const opened = await openStore(config);
const migrateFrom = migrationOf(config, opened);
const manager = createSessionManager<DemoData>({
  store: opened.store,
  ...sessionOptions(config),
  ...(migrateFrom ? { migrateFrom } : {}),
});
// Failed logins are counted in the same store, atomically; a store outage refuses logins (503).
const throttle = createLoginThrottle({ store: opened.store, ...throttleOptions(config) });
const { start } = (await import(`./frameworks/${config.framework}.js`)) as { start: StartApp };
const app = await start(manager, config.port, throttle);
const framework = config.framework === 'nestjs' ? `nestjs platform=${config.nestPlatform}` : config.framework;
console.log(
  `tessera demo: framework=${framework} store=${opened.label} env=${process.env.NODE_ENV} url=${app.url}${migrateFrom ? ' migrate=express-session' : ''}`,
);

// Once: `pnpm start` and a terminal may both deliver Ctrl-C, and a second signal must not
// cut the first shutdown short (it would end the process with the signal's default action).
let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await app.close();
  await opened.close();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
