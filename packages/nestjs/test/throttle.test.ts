/**
 * The login throttle's HTTP cases (the kit's) on NestJS, on both platforms:
 * `@UseGuards(loginThrottle(...))` and `@CurrentLoginAttempt()`.
 */
import 'reflect-metadata';
import { Body, Controller, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import type { LoginAttempt } from '@tessera/session-core';
import { describeLoginThrottleContract } from '@tessera/session-testing';
import {
  CurrentLoginAttempt,
  CurrentSession,
  loginThrottle,
  type Session,
  SessionModule,
} from '../src/index.js';
import { listen, PLATFORMS } from './app.js';

type Credentials = { username?: string; password?: string };
type Reply = { status(code: number): unknown; code?(code: number): unknown };

for (const platform of PLATFORMS) {
  describeLoginThrottleContract({
    name: `nestjs (${platform})`,
    makeApp: async ({ manager, throttle, trustProxy }) => {
      @Controller()
      class LoginController {
        @Post('throttled-login')
        @HttpCode(200)
        @UseGuards(loginThrottle<{ body?: Credentials }>(throttle, { account: (req) => req.body?.username }))
        async login(
          @CurrentSession() session: Session,
          @CurrentLoginAttempt() attempt: LoginAttempt,
          @Body() body: Credentials,
          @Res({ passthrough: true }) res: Reply,
        ) {
          if (body.password !== 'right') {
            await attempt.failed();
            if (res.code) res.code(401);
            else res.status(401);
            return { error: 'invalid_credentials' };
          }
          await session.login(String(body.username));
          await attempt.succeeded();
          return { userId: body.username };
        }
      }
      return listen(
        { imports: [SessionModule.forRoot({ manager, trustProxy })], controllers: [LoginController] },
        {},
        platform,
      );
    },
  });
}
