import { SessionError } from '@tessera/session-core';
import type { TableOptions } from '../client.js';

/** Postgres truncates identifiers beyond 63 bytes; refuse instead of letting names collide. */
const MAX_IDENTIFIER_BYTES = 63;
/** Longest suffix appended to the table name (`_migrations`, `_revoke_all`). */
const LONGEST_SUFFIX = '_revoke_all'.length;

/** Every SQL name the store uses, quoted and ready to interpolate. */
export interface Names {
  readonly schema: string;
  readonly table: string;
  /** `"schema"."table"` */
  readonly qualifiedTable: string;
  readonly migrations: string;
  readonly rotate: string;
  readonly revokeAll: string;
  readonly userIndex: string;
  readonly expiresIndex: string;
  /** The login throttle's counters (`<table>_throttle`) and their expiry index. */
  readonly throttle: string;
  readonly throttleIndex: string;
  readonly quotedSchema: string;
  /** A string literal naming the table, for per-table advisory lock keys. */
  readonly lockLiteral: string;
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A schema or table name, else `invalid_config`; answered as given (unquoted). */
export function check(kind: string, name: string, maxBytes: number = MAX_IDENTIFIER_BYTES): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new SessionError('invalid_config', `[tessera] [postgres] ${kind} must be a non-empty string.`);
  }
  // NUL cannot be stored; control characters are never intended; `$` could close the
  // dollar-quoted bodies of the migration's functions.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting them is the point
  if (/[\u0000-\u001f\u007f$]/.test(name)) {
    throw new SessionError(
      'invalid_config',
      `[tessera] [postgres] ${kind} ${JSON.stringify(name)} contains a control character or "$"; choose another name.`,
    );
  }
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > maxBytes) {
    throw new SessionError(
      'invalid_config',
      `[tessera] [postgres] ${kind} ${JSON.stringify(name)} is ${bytes} bytes; at most ${maxBytes} are allowed.`,
    );
  }
  return name;
}

/** Validate the schema and table names once and derive every object name from them. */
export function resolveNames(options: TableOptions = {}): Names {
  const schema = check('schema', options.schema ?? 'public', MAX_IDENTIFIER_BYTES);
  const table = check('table', options.table ?? 'tessera_sessions', MAX_IDENTIFIER_BYTES - LONGEST_SUFFIX);
  const s = quoteIdentifier(schema);
  const q = (suffix: string) => `${s}.${quoteIdentifier(table + suffix)}`;
  return {
    schema,
    table,
    quotedSchema: s,
    qualifiedTable: q(''),
    migrations: q('_migrations'),
    rotate: q('_rotate'),
    revokeAll: q('_revoke_all'),
    userIndex: quoteIdentifier(`${table}_user_idx`),
    expiresIndex: quoteIdentifier(`${table}_expires_idx`),
    throttle: q('_throttle'),
    throttleIndex: quoteIdentifier(`${table}_thr_idx`),
    lockLiteral: quoteLiteral(`${schema}.${table}`),
  };
}
