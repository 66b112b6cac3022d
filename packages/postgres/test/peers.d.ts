// Minimal types for the express-session app the migration test leaves: express-session's
// community types are not installed (they claim Express' `req.session` globally) and
// connect-pg-simple ships none.
declare module 'express-session' {
  import type { RequestHandler } from 'express';
  export default function session(options: Record<string, unknown>): RequestHandler;
}

declare module 'connect-pg-simple' {
  export default function connectPgSimple(session: unknown): new (options: Record<string, unknown>) => object;
}
