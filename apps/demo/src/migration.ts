/**
 * SESSION_MIGRATE_EXPRESS_SECRET: the demo signs in the users of an express-session app that
 * kept its sessions on the same backend (connect-redis on SESSION_STORE=redis, connect-pg-simple's
 * `session` table on postgres or pglite), carrying `userId` and `counter`. The memory and
 * memcached stores have no old sessions to read: the demo refuses to start with the secret set.
 */
import { type ExpressSessionMigration, expressSession } from '@tessera/session-core';
import type { DemoConfig } from './config.js';
import type { OpenedStore } from './stores.js';

export function migrationOf(config: DemoConfig, opened: OpenedStore): ExpressSessionMigration | undefined {
  const secrets = config.migrateExpressSecrets;
  if (secrets === undefined) return undefined;
  if (opened.migrationSource === undefined)
    throw new Error(
      `[demo] SESSION_MIGRATE_EXPRESS_SECRET needs SESSION_STORE=redis, postgres or pglite (where connect-redis or connect-pg-simple kept the sessions); got ${config.store}.`,
    );
  return expressSession({
    secrets,
    source: opened.migrationSource,
    migrate: (old) => ({
      userId: typeof old.userId === 'string' ? old.userId : null,
      data: typeof old.counter === 'number' ? { counter: old.counter } : {},
    }),
  });
}
