// Minimal types for express-session, used in the migration test to make real old sessions.
// Its community types are not installed on purpose: they claim `req.session` globally, as
// does this adapter, and the two declarations cannot coexist in one program.
declare module 'express-session' {
  import type { RequestHandler } from 'express';
  export interface SessionData {
    [key: string]: unknown;
  }
  export class Store {}
  export class MemoryStore extends Store {}
  export default function session(options: Record<string, unknown>): RequestHandler;
}
