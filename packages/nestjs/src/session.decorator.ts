/**
 * `@Session() session: Session<MyData>`: the request's session handle in a handler. The
 * decorator and the handle's type share the name, so one import serves both.
 */
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Session as CoreSession, SessionData } from '@tessera/session-core';
import { stateOf } from './internal/request-state.js';

export const Session: () => ParameterDecorator = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => stateOf(context).rs.session,
);

/** The handle's type: `Session<{ cart: string[] }>`, or `Session` with augmented `SessionData`. */
export type Session<D = SessionData> = CoreSession<D>;
