/** The login throttle's HTTP cases (the kit's) on Hono: loginThrottle() and loginAttempt(c). */
import { getConnInfo } from '@hono/node-server/conninfo';
import { describeLoginThrottleContract } from '@tessera/session-testing';
import { Hono } from 'hono';
import { loginAttempt, loginThrottle, type SessionEnv, session } from '../src/index.js';
import { listen } from './app.js';

describeLoginThrottleContract({
  name: 'hono',
  makeApp: async ({ manager, throttle, trustProxy }) => {
    const app = new Hono<SessionEnv>();
    app.use(session({ manager, trustProxy, getConnInfo }));
    const username = async (c: { req: { json: <T>() => Promise<T> } }) =>
      (await c.req.json<{ username?: string }>()).username;
    app.post('/throttled-login', loginThrottle(throttle, { account: username }), async (c) => {
      const { username: name, password } = await c.req.json<{ username: string; password: string }>();
      if (password !== 'right') {
        await loginAttempt(c).failed();
        return c.json({ error: 'invalid_credentials' }, 401);
      }
      await c.get('session').login(name);
      await loginAttempt(c).succeeded();
      return c.json({ userId: name });
    });
    return listen(app);
  },
});
