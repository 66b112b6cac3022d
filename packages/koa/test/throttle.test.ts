/** The login throttle's HTTP cases (the kit's) on Koa: loginThrottle() and loginAttempt(ctx). */
import { describeLoginThrottleContract } from '@tessera/session-testing';
import type Koa from 'koa';
import { loginAttempt, loginThrottle } from '../src/index.js';
import { buildApp, listen } from './app.js';

type Credentials = { username?: string; password?: string };
const body = (ctx: Koa.Context) => ((ctx.request as { body?: Credentials }).body ?? {}) as Credentials;

describeLoginThrottleContract({
  name: 'koa',
  makeApp: async ({ manager, throttle, trustProxy }) => {
    const guard = loginThrottle(throttle, { account: (ctx) => body(ctx).username });
    const handler: Koa.Middleware = async (ctx) => {
      const { username, password } = body(ctx);
      if (password !== 'right') {
        await loginAttempt(ctx).failed();
        ctx.status = 401;
        ctx.body = { error: 'invalid_credentials' };
        return;
      }
      await ctx.session.login(String(username));
      await loginAttempt(ctx).succeeded();
      ctx.body = { userId: username };
    };
    return listen(buildApp(manager, { 'POST /throttled-login': [guard, handler] }, trustProxy));
  },
});
