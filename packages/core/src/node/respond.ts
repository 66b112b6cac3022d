/**
 * Node-response helpers shared by the Express adapter and the NestJS adapter (which runs on
 * Nest's Express platform): answer a SessionError as JSON, and hold the response until the
 * session is committed (read-your-writes: no byte leaves before the Set-Cookie is on it).
 * They live in the core, under `@tessera/session-core/node` (the main entry stays free of
 * Node types), so that neither adapter imports the other.
 */
import type { ServerResponse } from 'node:http';
import { errorBodyOf, httpStatusOf, isSessionError, SessionError } from '../errors.js';
import type { RequestSession } from '../request.js';
import { holdUntilCommitted, responseHeld, responseSent } from './gate.js';

export { responseHeld, responseSent };

/** Answer a SessionError with its status and `{ error }` JSON, never a stack. */
export function sendSessionError(res: ServerResponse, error: SessionError, replace = false): void {
  if (replace ? res.headersSent : responseSent(res)) return;
  // A failed commit replaces whatever the handler prepared (its Location, its cookies).
  if (replace) for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.statusCode = httpStatusOf(error.code);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(errorBodyOf(error)));
}

/**
 * Run the session's `commit()` before the first byte of `res` is written, apply its headers,
 * then let the response go. A failed commit replaces the response with the error's JSON.
 *
 * The hold is installed only once the session has something to commit: right away when
 * loading already produced a cookie to send, otherwise at the handler's first change. A
 * request that only reads its session is never held (wrapping a Node response's methods
 * costs ~5 µs per property once Express has swapped its prototype). A change after the
 * response has gone is refused with `invalid_state`, as it would be after a commit.
 */
export function commitBeforeSend(res: ServerResponse, rs: RequestSession): void {
  const hold = () =>
    holdUntilCommitted(
      res,
      () => rs.commit(),
      (error) => {
        if (isSessionError(error)) return sendSessionError(res, error, true);
        res.destroy(error instanceof Error ? error : undefined);
      },
    );
  if (rs.needsCommit) {
    hold();
    return;
  }
  rs.onFirstChange(() => {
    if (res.headersSent)
      throw new SessionError(
        'invalid_state',
        'the response has already been sent; the session can no longer change.',
      );
    hold();
  });
}
