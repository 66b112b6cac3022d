/**
 * The shared adapter contract over real HTTP, on the memory store and a throwaway Redis, in
 * whichever runtime vitest runs in: Node here, Bun and Deno through runtimes.test.ts.
 */
import { describeAdapterContract } from '@tessera/session-testing';
import { redisKit } from '@tessera/test-support';
import { describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { listen, runtime } from './runtime.js';

const name = `web on ${runtime}`;
describe(`the runtime of this run (${runtime})`, () => {
  // runtimes.test.ts sets it: a run it started must be in that runtime, not in a Node worker.
  it('is the one the run was started for', () => {
    expect(runtime).toBe(process.env.TESSERA_EXPECT_RUNTIME ?? 'node');
  });
});
describeAdapterContract({ name, makeApp: async (manager) => listen(buildApp(manager)) });
describeAdapterContract({
  name,
  makeApp: async (manager) => listen(buildApp(manager)),
  store: redisKit({ keyPrefix: 'contract-web:' }).store,
});
