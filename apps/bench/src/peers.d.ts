// Minimal types for the peers used without their own declarations. express-session's
// community types are not installed on purpose: they claim `req.session` globally, as does
// @tessera/session-express, and the two declarations cannot coexist in one program.
declare module 'express-session' {
  import type { RequestHandler } from 'express';
  export interface SessionData {
    [key: string]: unknown;
  }
  export class Store {}
  export default function session(options: Record<string, unknown>): RequestHandler;
}

declare module 'koa-redis' {
  export default function redisStore(options: { url: string }): object;
}
