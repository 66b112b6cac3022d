/**
 * The Fastify plugin: one `RequestSession` per request, at `request.session`. It loads in
 * `onRequest`, enforces CSRF in `preHandler` (after Fastify parsed the body, so a form's
 * `_csrf` field is read from the parsed body, bounded by Fastify's own `bodyLimit`), and
 * commits in `onSend`: the session's Set-Cookie is on the reply before any byte of it leaves,
 * so a redirect after login never races the save.
 */
import {
  adapterEntry,
  type CsrfFormSource,
  csrfSkip,
  enforceCsrf,
  errorBodyOf,
  httpStatusOf,
  isSessionError,
  type RequestSession,
  type ResponseHeaders,
  resolveSessionOptions,
  type Session,
  SessionError,
  type SessionManager,
  type SessionOptions,
} from '@tessera/session-core';
import { NodeSessionRequest } from '@tessera/session-core/node';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import fp from 'fastify-plugin';
import { replySessionError } from './reply.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's session (set by the `@tessera/session-fastify` plugin). */
    session: Session;
  }
  interface FastifyInstance {
    /** The manager behind the session plugin (admin API: list/revoke a user's sessions). */
    readonly sessionManager: SessionManager;
  }
  interface FastifyContextConfig {
    /** Tessera's per-route options: `{ config: { tessera: { skipCsrf: true } } }`. */
    tessera?: TesseraRouteConfig;
  }
}

export interface TesseraRouteConfig {
  /**
   * Exempt this route from the plugin's CSRF check (a webhook that authenticates by its own
   * signature). @default false
   */
  readonly skipCsrf?: boolean;
}

/** Manager options (a manager is built once), or a manager you built and share; plus `trustProxy`. */
export type FastifySessionOptions = SessionOptions;

const RS = Symbol('tessera.requestSession');
type Carrier = FastifyRequest & { [RS]: RequestSession | null };

async function sessionPlugin(fastify: FastifyInstance, options: FastifySessionOptions): Promise<void> {
  const { manager, trust } = resolveSessionOptions(options);
  fastify.decorate('sessionManager', manager);
  // Declared once, so every request object has the same shape (Fastify's advice for speed).
  fastify.decorateRequest('session', null as unknown as Session);
  fastify.decorateRequest(RS, null);

  const csrfEnabled = manager.policy.csrf.enabled;

  fastify.addHook('onRequest', async (request, reply) => {
    let rs: RequestSession;
    let sessionRequest: NodeSessionRequest;
    try {
      sessionRequest = new NodeSessionRequest(request.raw, trust);
      rs = await manager.begin(sessionRequest);
    } catch (error) {
      if (!isSessionError(error)) throw error;
      return replySessionError(reply, error);
    }
    // On the session, as in the other adapters: the guards find it through request.session.
    const entry = {
      verifyCsrf: () => rs.verifyCsrf(formOf(request)),
      csrfEnforced: false,
      manager,
      ip: sessionRequest.ip,
    };
    adapterEntry.set(rs, entry);
    (request as Carrier)[RS] = rs;
    request.session = rs.session;
    if (!csrfEnabled) return;
    // Decided before Fastify reads the body: a request that can pass only by a body token must
    // have a body that can carry one; anything else is refused unread (multipart, text...).
    const first = rs.checkCsrf();
    if (first.ok || skipped(request)) entry.csrfEnforced = true;
    else if (first.reason !== 'missing' || !TOKEN_BODY_RE.test(request.headers['content-type'] ?? ''))
      return refuse(reply, first.reason);
  });

  if (csrfEnabled) {
    // The body's token, once Fastify parsed it: the only CSRF work left after onRequest.
    fastify.addHook('preHandler', async (request, reply) => {
      const rs = (request as Carrier)[RS];
      const entry = rs && (adapterEntry.get(rs) as { csrfEnforced: boolean } | undefined);
      if (!rs || !entry || entry.csrfEnforced) return;
      const checked = enforceCsrf(rs, formOf(request), () => skipped(request));
      const result = checked instanceof Promise ? await checked : checked;
      if (!result.ok) return refuse(reply, result.reason);
      entry.csrfEnforced = true;
    });
  }

  fastify.addHook('onSend', (request, reply, payload, done) => {
    const rs = (request as Carrier)[RS];
    if (!rs) return done(null, payload);
    // A read has nothing to write: no wait, no async hop.
    const clean = rs.commitIfClean();
    if (clean) {
      applyHeaders(reply, clean);
      return done(null, payload);
    }
    rs.commit().then(
      (headers) => {
        applyHeaders(reply, headers);
        done(null, payload);
      },
      (error: unknown) => {
        if (!isSessionError(error)) return done(error instanceof Error ? error : new Error(String(error)));
        done(null, failedCommit(reply, error));
      },
    );
  });

  // A SessionError thrown by a handler (`session_limit` from login, `invalid_state`...) is an
  // answer, not a crash: the route answers it as JSON with its status, whatever error handler
  // the app set (the plugin sets none: a second setErrorHandler in one scope makes Fastify warn).
  fastify.addHook('onRoute', (route) => {
    route.handler = answeringSessionErrors(route.handler);
  });
}

/** The body types whose parsed form can carry the token field: a form, or a JSON object. */
const TOKEN_BODY_RE = /^application\/(?:x-www-form-urlencoded|json)\s*(?:;|$)/i;

/** The route's `{ config: { tessera: { skipCsrf: true } } }`, or a hook's `csrfSkip.mark(request)`. */
const skipped = (request: FastifyRequest): boolean =>
  request.routeOptions.config.tessera?.skipCsrf === true || csrfSkip.marked(request);

/**
 * 403 `{ error: 'csrf' }`. Nothing was changed, so onSend's commit writes nothing: it only
 * sends what loading left (a rejected cookie's clearing, with no-store).
 */
const refuse = (reply: FastifyReply, reason: string): FastifyReply =>
  replySessionError(reply, new SessionError('csrf', `request refused: ${reason}.`));

/**
 * Fastify parsed the body before preHandler: its `_csrf` field is the form's token, within
 * Fastify's `bodyLimit`. No bytes are read here: a body type the app has no parser for gets
 * Fastify's 415 before the check, and a body that is no form or JSON object carries no token.
 */
const formOf = (request: FastifyRequest): CsrfFormSource => ({ parsed: () => request.body });

function answeringSessionErrors(handler: RouteHandlerMethod): RouteHandlerMethod {
  return function (this: FastifyInstance, request, reply) {
    const answer = (error: unknown) => {
      if (!isSessionError(error) || reply.sent) throw error;
      return replySessionError(reply, error);
    };
    let out: unknown;
    try {
      out = handler.call(this, request, reply);
    } catch (error) {
      return answer(error);
    }
    return out instanceof Promise ? out.then(undefined, answer) : out;
  } as RouteHandlerMethod;
}

/** The session's headers go on last: a handler's Cache-Control cannot undo its no-store. */
function applyHeaders(reply: FastifyReply, headers: ResponseHeaders): void {
  // Fastify appends a second set-cookie rather than replacing the first.
  for (const [name, value] of headers) reply.header(name, value);
}

/** The save failed: the handler's reply (its Location, its cookies) is replaced by the error's JSON. */
function failedCommit(reply: FastifyReply, error: SessionError): string {
  for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
  reply.code(httpStatusOf(error.code));
  reply.header('content-type', 'application/json; charset=utf-8');
  return JSON.stringify(errorBodyOf(error));
}

/**
 * Register once per scope that needs sessions (`app.register(tesseraSession, options)`): its
 * hooks reach the routes of that scope and its children, not its siblings.
 */
export const tesseraSession = fp(sessionPlugin, { fastify: '5.x', name: '@tessera/session-fastify' });
