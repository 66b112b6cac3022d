/**
 * Where the library's own messages go: a store outage and its recovery, the memory store's
 * production warning, a throwing event listener. Console-compatible, so `console`, pino,
 * winston or Nest's `Logger` fit as they are. Each call passes one string.
 */
import { SessionError } from './errors.js';

export interface Logger {
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** `undefined` is `console`, `false` is silence; anything else must have `warn` and `error`. */
export function resolveLogger(value: unknown, option = 'logger'): Logger | null {
  if (value === undefined) return console;
  if (value === false) return null;
  const candidate = value as Partial<Logger> | null;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.warn !== 'function' ||
    typeof candidate.error !== 'function'
  ) {
    throw new SessionError(
      'invalid_config',
      `${option} must be false or have warn() and error() methods (console, pino, a Nest Logger).`,
    );
  }
  return candidate as Logger;
}
