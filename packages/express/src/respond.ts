/**
 * Node-response helpers shared by the Express adapter and the NestJS adapter (which runs on
 * Nest's Express platform): answer a SessionError as JSON, and hold the response until the
 * session is committed (read-your-writes: no byte leaves before the Set-Cookie is on it).
 */
import type { ServerResponse } from 'node:http';
import {
  errorBodyOf,
  httpStatusOf,
  isSessionError,
  type ResponseHeaders,
  type SessionError,
} from '@tessera/session-core';
import { holdUntilCommitted } from './internal/gate.js';

/** Answer a SessionError with its status and `{ error }` JSON, never a stack. */
export function sendSessionError(res: ServerResponse, error: SessionError, replace = false): void {
  if (res.headersSent) return;
  // A failed commit replaces whatever the handler prepared (its Location, its cookies).
  if (replace) for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.statusCode = httpStatusOf(error.code);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(errorBodyOf(error)));
}

/**
 * Run `commit` before the first byte of `res` is written, apply its headers, then let the
 * response go. A failed commit replaces the response with the error's JSON.
 */
export function commitBeforeSend(res: ServerResponse, commit: () => Promise<ResponseHeaders>): void {
  holdUntilCommitted(
    res,
    async () => {
      for (const [name, value] of await commit()) {
        if (name === 'set-cookie') res.appendHeader(name, value);
        else res.setHeader(name, value);
      }
    },
    (error) => {
      if (isSessionError(error)) return sendSessionError(res, error, true);
      res.destroy(error instanceof Error ? error : undefined);
    },
  );
}
