/** The login throttle's HTTP cases (the kit's) on Express: loginThrottle() and loginAttempt(req). */
import { describeLoginThrottleContract } from '@tessera/session-testing';
import { loginAttempt, loginThrottle } from '../src/index.js';
import { buildApp, listen } from './app.js';

type Credentials = { username?: string; password?: string };

describeLoginThrottleContract({
  name: 'express',
  makeApp: async ({ manager, throttle, trustProxy }) => {
    const app = buildApp(
      manager,
      (app) => {
        const guard = loginThrottle(throttle, { account: (req) => (req.body as Credentials).username });
        app.post('/throttled-login', guard, async (req, res) => {
          const { username, password } = req.body as Credentials;
          if (password !== 'right') {
            await loginAttempt(req).failed();
            res.status(401).json({ error: 'invalid_credentials' });
            return;
          }
          await req.session.login(String(username));
          await loginAttempt(req).succeeded();
          res.json({ userId: username });
        });
      },
      trustProxy,
    );
    return listen(app);
  },
});
