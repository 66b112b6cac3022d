/** How the plugin and its guards answer a SessionError: its status and `{ error }` JSON, never a stack. */
import { errorBodyOf, httpStatusOf, type SessionError } from '@tessera/session-core';
import type { FastifyReply } from 'fastify';

/**
 * Answer `error` on `reply` (for an app's own error handler too). Answers the reply, which
 * an async hook or handler returns to tell Fastify it has replied.
 */
export function replySessionError(reply: FastifyReply, error: SessionError): FastifyReply {
  return reply.code(httpStatusOf(error.code)).send(errorBodyOf(error));
}
