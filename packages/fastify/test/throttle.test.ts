/** The login throttle's HTTP cases (the kit's) on Fastify: loginThrottle() as a preHandler and loginAttempt(request). */
import { describeLoginThrottleContract } from '@tessera/session-testing';
import { loginAttempt, loginThrottle } from '../src/index.js';
import { buildApp, listen } from './app.js';

type Credentials = { username?: string; password?: string };

describeLoginThrottleContract({
  name: 'fastify',
  makeApp: async ({ manager, throttle, trustProxy }) => {
    const app = await buildApp(
      manager,
      (app) => {
        const preHandler = loginThrottle(throttle, {
          account: (request) => (request.body as Credentials).username,
        });
        app.post('/throttled-login', { preHandler }, async (request, reply) => {
          const { username, password } = request.body as Credentials;
          if (password !== 'right') {
            await loginAttempt(request).failed();
            return reply.code(401).send({ error: 'invalid_credentials' });
          }
          await request.session.login(String(username));
          await loginAttempt(request).succeeded();
          return { userId: username };
        });
      },
      trustProxy,
    );
    return listen(app);
  },
});
