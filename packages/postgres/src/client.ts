/**
 * The only thing the store needs from a database driver: run one statement with positional
 * parameters and hand back its rows. A node-postgres `Pool` or `Client` and a PGlite
 * instance all satisfy it, so neither library is a dependency of this package.
 */
export interface PostgresClient {
  query(text: string, params?: unknown[]): Promise<{ readonly rows: readonly unknown[] }>;
}

/** Where the store's objects live. Both names are validated and quoted, never interpolated raw. */
export interface TableOptions {
  /** Schema holding the table, its functions and its migrations table. @default 'public' */
  readonly schema?: string;
  /**
   * Sessions table. Also the prefix of the objects created next to it (`<table>_migrations`,
   * `<table>_rotate`, `<table>_revoke_all`, `<table>_user_idx`, `<table>_expires_idx`),
   * so at most 52 bytes. @default 'tessera_sessions'
   */
  readonly table?: string;
}
