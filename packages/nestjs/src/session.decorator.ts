/**
 * `@CurrentSession() session: Session<MyData>`: the request's session handle in a handler.
 * Not named `Session`: `@nestjs/common` exports a `Session` decorator too (express-session's
 * `req.session`), and an IDE auto-import of the wrong one gives an `undefined` parameter.
 */
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Session as CoreSession, SessionData } from '@tessera/session-core';
import { stateOf } from './internal/request-state.js';

export const CurrentSession: () => ParameterDecorator = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => stateOf(context).rs.session,
);

/**
 * The same decorator under its first name.
 * @deprecated Use `@CurrentSession()`: `Session` collides with `@nestjs/common`'s decorator.
 */
export const Session: () => ParameterDecorator = CurrentSession;

/** The handle's type: `Session<{ cart: string[] }>`, or `Session` with augmented `SessionData`. */
export type Session<D = SessionData> = CoreSession<D>;
