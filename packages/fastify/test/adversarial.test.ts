/**
 * The adversarial suite over real HTTP, on the memory store and on a throwaway Redis.
 * `bodyParsedFirst`: Fastify parses the body (bounded by its `bodyLimit`) before the
 * preHandler in which the plugin checks CSRF.
 */
import { describeAdversarialContract } from '@tessera/session-testing';
import { redisKit } from '@tessera/test-support';
import { makeApp } from './app.js';

const redis = redisKit({ keyPrefix: 'adv:' });

describeAdversarialContract({ name: 'fastify', makeApp, bodyParsedFirst: true });
describeAdversarialContract({
  name: 'fastify',
  makeApp,
  bodyParsedFirst: true,
  store: redis.store,
  corrupt: redis.corrupt,
});
