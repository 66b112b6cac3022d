/**
 * Answers every uncaught `SessionError` (guards, CSRF, `login()` at the cap, a store outage
 * mid-handler) with `httpStatusOf(code)` and `{ error: code }` JSON, never a stack.
 * Registered globally by `SessionModule`.
 */
import type { ServerResponse } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter, Inject, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { errorBodyOf, httpStatusOf, SessionError } from '@tessera/session-core';
import { responseSent } from '@tessera/session-core/node';

const logger = new Logger('SessionExceptionFilter');

@Catch(SessionError)
export class SessionExceptionFilter implements ExceptionFilter<SessionError> {
  constructor(@Inject(HttpAdapterHost) private readonly host: HttpAdapterHost) {}

  catch(error: SessionError, args: ArgumentsHost): void {
    const res = args.switchToHttp().getResponse<unknown>();
    const adapter = this.host.httpAdapter;
    // A response ended while held for the commit is sent too (headersSent lags). The hold is on
    // the Node response: Fastify's reply wraps it as `raw`.
    if (adapter.isHeadersSent(res) || responseSent(nodeResponseOf(res))) {
      // Nothing can be answered any more (a change after `@Res()` res.json() is refused with
      // invalid_state): report the SessionError itself, not "Cannot set headers after they are sent".
      logger.error(`${error.code}: ${error.message}`, error.stack);
      if (!endedOf(res)) adapter.end(res);
      return;
    }
    adapter.reply(res, errorBodyOf(error), httpStatusOf(error.code));
  }
}

function nodeResponseOf(res: unknown): ServerResponse {
  return ((res as { raw?: ServerResponse }).raw ?? res) as ServerResponse;
}

/** Whether the response was ended: a Node response, or one wrapping it as `raw` (Fastify). */
function endedOf(res: unknown): boolean {
  const r = res as { writableEnded?: boolean; raw?: { writableEnded?: boolean } };
  return r.writableEnded ?? r.raw?.writableEnded ?? false;
}
