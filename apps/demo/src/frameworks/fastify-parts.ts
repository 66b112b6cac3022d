// What the demo's two Fastify wirings share (fastify.ts, and nestjs.ts on Nest's Fastify
// platform): server options, body parsing, the answer to a body Fastify refuses, and replies.
import type { FastifyInstance, FastifyReply, FastifyServerOptions } from 'fastify';
import * as api from '../api.js';
import { rawBadSegments } from './raw-segments.js';

export const FASTIFY_OPTIONS = {
  // Over the limit is 413 on every route that takes a body, whether the route reads it or not.
  bodyLimit: api.MAX_BODY_BYTES,
  // A path segment that does not decode is read as its raw text, as in the other wirings.
  rewriteUrl: (req) => {
    rawBadSegments(req, null, () => {});
    return req.url ?? '/';
  },
} as const satisfies FastifyServerOptions;

/** Malformed JSON reads as no body (the handlers then answer 400 or 401), as in the other wirings. */
export function parseBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    // Fastify's default parser answers through its callback; its typed promise result is unused.
    void parseJson(req, body as string, (error, value) => done(null, error ? null : value));
  });
  // Any other body is not the demo's: none, rather than Fastify's 415.
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, null));
}

/** The answer to a body Fastify refuses (a 4xx of its own), or undefined for any other error. */
export function bodyRefusal(error: { code?: unknown; statusCode?: unknown }): api.Reply | undefined {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return api.BODY_TOO_LARGE;
  const status = error.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return { status, json: { error: 'bad_body' } };
  return undefined;
}

/** A shared `Reply` as Fastify's reply, with the demo's Cache-Control. */
export function sendReply(reply: FastifyReply, r: api.Reply): FastifyReply {
  reply.header('cache-control', api.CACHE_CONTROL).code(r.status);
  if (r.html !== undefined) return reply.type('text/html; charset=utf-8').send(r.html);
  return r.json !== undefined ? reply.send(r.json) : reply.send();
}
