import { describeAdapterContract } from '@tessera/session-testing';
import { buildApp, listen } from './app.js';

describeAdapterContract({ name: 'hono', makeApp: async (manager) => listen(buildApp(manager)) });
