export type { PostgresClient, TableOptions } from './client.js';
export { type ConnectPgSourceOptions, connectPgSource } from './connect-pg-source.js';
export { type MigrateOptions, type MigrateResult, migrate, migrationSql } from './migrations.js';
export { PostgresStore, type PostgresStoreOptions, postgresStore } from './postgres-store.js';
export {
  type Sweeper,
  type SweeperOptions,
  type SweepOptions,
  startSweeper,
  sweepExpired,
} from './sweeper.js';
