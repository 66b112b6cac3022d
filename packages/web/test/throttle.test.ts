/** The login throttle's HTTP cases (the kit's) on the web adapter: loginThrottle() and loginAttempt(request). */
import { describeLoginThrottleContract } from '@tessera/session-testing';
import { loginAttempt, loginThrottle, withSession } from '../src/index.js';
import { clientIp, listen } from './runtime.js';

describeLoginThrottleContract({
  name: 'web',
  makeApp: async ({ manager, throttle, trustProxy }) => {
    const login = withSession(
      loginThrottle(
        throttle,
        { account: async (req) => ((await req.clone().json()) as { username?: string }).username },
        async (req, s) => {
          const { username, password } = (await req.json()) as { username: string; password: string };
          if (password !== 'right') {
            await loginAttempt(req).failed();
            return Response.json({ error: 'invalid_credentials' }, { status: 401 });
          }
          await s.login(username);
          await loginAttempt(req).succeeded();
          return Response.json({ userId: username });
        },
      ),
      { manager, trustProxy, clientIp },
    );
    return listen(async (request, extra) =>
      new URL(request.url).pathname === '/throttled-login' && request.method === 'POST'
        ? login(request, extra)
        : Response.json({ error: 'not_found' }, { status: 404 }),
    );
  },
});
