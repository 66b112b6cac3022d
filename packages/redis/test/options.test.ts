import { isSessionError } from '@tessera/session-core';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { redisStore } from '../src/index.js';
import { fakeClient } from './fake-client.js';

const fake = fakeClient;

function configError(make: () => unknown): string {
  try {
    make();
  } catch (error) {
    expect(isSessionError(error, 'invalid_config')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected invalid_config');
}

describe('redisStore options', () => {
  it('rejects a prefix that would override the hash tag', () => {
    expect(configError(() => redisStore({ client: fake, keyPrefix: 'app{x}:' }))).toMatch(/keyPrefix/);
    expect(configError(() => redisStore({ client: fake, keyPrefix: 'a b' }))).toMatch(/keyPrefix/);
  });

  it('rejects a client prefix with braces too', () => {
    const prefixed = Object.assign(Object.create(fake), { options: { keyPrefix: '{app}' } }) as Redis;
    expect(configError(() => redisStore({ client: prefixed }))).toMatch(/client's `keyPrefix`/);
  });

  it('rejects timeouts that are not positive numbers', () => {
    for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(configError(() => redisStore({ client: fake, timeoutMs }))).toMatch(/timeoutMs/);
    }
  });

  it('data limits are whole numbers from 1, declared as store.limits (64 KiB and 256 keys by default)', () => {
    for (const maxDataBytes of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(configError(() => redisStore({ client: fake, maxDataBytes }))).toMatch(/maxDataBytes/);
    }
    expect(configError(() => redisStore({ client: fake, maxKeys: 0 }))).toMatch(/maxKeys/);
    expect(redisStore({ client: fake }).limits).toEqual({ maxDataBytes: 65_536, maxKeys: 256 });
    expect(redisStore({ client: fake, maxKeys: 1_000 }).limits).toEqual({
      maxDataBytes: 65_536,
      maxKeys: 1_000,
    });
  });

  it('rejects something that is not an ioredis client', () => {
    expect(configError(() => redisStore({ client: {} as Redis }))).toMatch(/ioredis/);
  });

  it('accepts an empty prefix, and answers missing for a tag it could not have made', async () => {
    const store = redisStore({ client: fake, keyPrefix: '' });
    expect(await store.load({ id: 'x', tag: '}{' }, { now: 0, touchIntervalMs: 0 })).toEqual({
      status: 'missing',
    });
    expect(store.shardTag!('alice')).toBe(store.shardTag!('alice'));
    expect(store.shardTag!('alice')).toMatch(/^[0-9a-z]{1,16}$/);
    expect(store.shardTag!(null)).toMatch(/^[0-9a-z]{1,16}$/);
  });
});
