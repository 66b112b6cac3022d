/**
 * Answers every uncaught `SessionError` (guards, CSRF, `login()` at the cap, a store outage
 * mid-handler) with `httpStatusOf(code)` and `{ error: code }` JSON, never a stack.
 * Registered globally by `SessionModule`.
 */
import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { errorBodyOf, httpStatusOf, SessionError } from '@tessera/session-core';

@Catch(SessionError)
export class SessionExceptionFilter implements ExceptionFilter<SessionError> {
  constructor(@Inject(HttpAdapterHost) private readonly host: HttpAdapterHost) {}

  catch(error: SessionError, args: ArgumentsHost): void {
    const res = args.switchToHttp().getResponse<unknown>();
    this.host.httpAdapter.reply(res, errorBodyOf(error), httpStatusOf(error.code));
  }
}
