/** The shared adapter contract on a throwaway Redis. */
import { describeAdapterContract } from '@tessera/session-testing';
import { redisKit } from '@tessera/test-support';
import { makeApp } from './app.js';

describeAdapterContract({ name: 'fastify', makeApp, store: redisKit({ keyPrefix: 'contract:' }).store });
