/**
 * Route guards as `preHandler` hooks: `requireAuth()` for signed-in routes and `csrf()` for
 * apps that turned the plugin's own check off. Both defer to the core (the same checks in
 * every adapter) and answer JSON errors, never stacks.
 */
import {
  adapterEntry,
  authRefusal,
  type RequireAuthOptions,
  type SessionData,
  SessionError,
  validateRequireAuth,
} from '@tessera/session-core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { replySessionError } from './reply.js';

/** A route `preHandler`: `app.get('/me', { preHandler: requireAuth() }, handler)`. */
export type SessionGuard = (
  request: FastifyRequest,
  reply: FastifyReply,
) => Promise<FastifyReply | undefined>;

/**
 * Let only signed-in sessions through: 401 `unauthenticated`, 401 `reauthentication_required`
 * (older than `maxAuthAgeMs`), 403 `forbidden` (`check` said no).
 */
export function requireAuth(options: RequireAuthOptions<SessionData> = {}): SessionGuard {
  validateRequireAuth(options);
  return async (request, reply) => {
    const refusal = await authRefusal(adapterEntry.get(request.session), request.session, options);
    return refusal ? replySessionError(reply, refusal) : undefined;
  };
}

/**
 * The CSRF check as a route `preHandler`, for apps that turned the plugin's own check off
 * (`csrf: { enabled: false }`): refuses unsafe requests that are cross-site or lack the
 * session's token (header `x-csrf-token`, or the `_csrf` field of the parsed body): 403
 * `{ error: 'csrf' }`. Where the plugin already checked, it passes.
 */
export function csrf(): SessionGuard {
  return async (request, reply) => {
    const entry = adapterEntry.get(request.session);
    if (!entry) throw adapterEntry.missing('csrf');
    if (entry.csrfEnforced) return undefined;
    const result = await entry.verifyCsrf();
    if (result.ok) return undefined;
    return replySessionError(reply, new SessionError('csrf', `request refused: ${result.reason}.`));
  };
}
