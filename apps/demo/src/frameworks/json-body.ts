import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import * as api from '../api.js';

/**
 * JSON bodies on Express (express.ts, and nestjs.ts on Nest's Express platform) as in the other
 * wirings: malformed JSON reads as no body, over MAX_BODY_BYTES is 413 `{ error: 'body_too_large' }`.
 */
export const jsonBody: [RequestHandler, ErrorRequestHandler] = [
  express.json({ limit: api.MAX_BODY_BYTES }),
  (error: { type?: string }, req, res, next) => {
    if (error.type === 'entity.too.large') return void res.status(413).json(api.BODY_TOO_LARGE.json);
    if (error.type !== 'entity.parse.failed') return next(error);
    req.body = null;
    next(); // back to the routes, like a request without a body
  },
];
