import { describeAdapterContract } from '@tessera/session-testing';
import { makeApp } from './app.js';

describeAdapterContract({ name: 'fastify', makeApp });
