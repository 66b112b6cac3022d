/**
 * Where the middleware leaves the request's session for guards and `@CurrentSession()`. A symbol
 * rather than `req.session`, so it never collides with express-session or its typings.
 */

import type { ExecutionContext } from '@nestjs/common';
import type { RequestSession, SessionManager } from '@tessera/session-core';

const STATE = Symbol.for('tessera.session');

export interface RequestState {
  readonly rs: RequestSession;
  readonly manager: SessionManager;
  /** The client IP as the session's `trustProxy` resolved it. */
  readonly ip: string | null;
}

type Carrier = { [STATE]?: RequestState; raw?: { [STATE]?: RequestState } };

export function attachState(req: object, state: RequestState): void {
  Object.defineProperty(req, STATE, { value: state, enumerable: false });
}

/** The state of the current HTTP request (Express request, or Fastify's `request.raw`). */
export function stateOf(context: ExecutionContext): RequestState {
  const req = context.switchToHttp().getRequest<Carrier>();
  const state = req[STATE] ?? req.raw?.[STATE];
  if (!state) {
    throw new Error(
      '[tessera] no session on this request: import SessionModule.forRoot(...) in the root module ' +
        '(guards and @CurrentSession() work on HTTP routes only).',
    );
  }
  return state;
}
