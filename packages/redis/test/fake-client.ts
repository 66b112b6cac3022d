import type { Redis } from 'ioredis';

/**
 * A shape-only stand-in for an ioredis client, for tests of what the store checks at
 * construction (it never talks to Redis there). Not a Redis mock: nothing answers.
 */
export const fakeClient = {
  status: 'ready',
  evalsha: async () => null,
  eval: async () => null,
  once: () => undefined,
  off: () => undefined,
  pipeline: () => ({}),
  duplicate: () => ({}),
} as unknown as Redis;
