import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import * as api from '../api.js';

/** body-parser's error types the demo names; any other 4xx of the parser is `bad_body`. */
const BODY_ERRORS: Readonly<Record<string, string>> = {
  'entity.too.large': api.BODY_TOO_LARGE.json.error,
  'encoding.unsupported': 'unsupported_content_encoding',
  'charset.unsupported': 'unsupported_charset',
};

/**
 * JSON bodies on Express (express.ts, and nestjs.ts on Nest's Express platform) as in the other
 * wirings: malformed JSON reads as no body, over MAX_BODY_BYTES is 413 `{ error: 'body_too_large' }`.
 * The parser's other refusals (an unknown Content-Encoding or charset: 415; a gzip body that
 * does not inflate: 400) answer its status as `{ error }` JSON too. Left to Express they
 * would be its HTML error page, with a stack trace unless NODE_ENV=production.
 */
export const jsonBody: [RequestHandler, ErrorRequestHandler] = [
  express.json({ limit: api.MAX_BODY_BYTES }),
  (error: { type?: unknown; status?: unknown }, req, res, next) => {
    if (error.type === 'entity.parse.failed') {
      req.body = null;
      return next(); // back to the routes, like a request without a body
    }
    const status = error.status;
    // Only the parser's own errors carry a 4xx status here (session and CSRF errors answer themselves).
    if (typeof status !== 'number' || status < 400 || status > 499) return next(error);
    const name = typeof error.type === 'string' ? BODY_ERRORS[error.type] : undefined;
    res.status(status).json({ error: name ?? 'bad_body' });
  },
];
