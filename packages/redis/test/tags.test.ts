import { keyFor, listedIds, loadStatus, signIn, storedSession } from '@tessera/session-testing';
import { type RedisServer, startRedis } from '@tessera/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore } from '../src/index.js';
import { CLIENT_KINDS, connect, noRedis, type TestConnection } from './helpers.js';

const _MIN = 60_000;
const SECRET_A = 'tags-test-secret-a-0123456789abcdefghij';
const SECRET_B = 'tags-test-secret-b-0123456789abcdefghij';
const limit = { max: 5, onLimit: 'evict-oldest' } as const;

for (const kind of CLIENT_KINDS)
  describe.skipIf(noRedis)(`redis store on ${kind}: routing tags`, () => {
    let server: RedisServer;
    let redis: TestConnection;
    beforeAll(async () => {
      server = await startRedis();
      redis = await connect(kind, server.url);
    }, 20_000);
    afterAll(async () => {
      await redis?.close();
      await server?.stop();
    });

    it("without tagSecret: no tag, keys under '{}', and login, load, list, logout and revoke all work", async () => {
      const store = redisStore({ client: redis.client });
      const u = 'untagged-user';
      const [a, b] = [await signIn(store, u), await signIn(store, u)];
      expect(a.tag).toBe('');
      expect(Number(await redis.cmd('EXISTS', `tessera:{}s:${a.id}`))).toBe(1);
      expect(Number(await redis.cmd('ZCARD', `tessera:{}u:${u}`))).toBe(2);
      expect(await loadStatus(store, a)).toBe('found');
      expect((await listedIds(store, u)).sort()).toEqual([a.id, b.id].sort());
      expect(await store.destroy(a, { now: Date.now(), userId: u })).toBe(true);
      expect(await store.revokeUserSessions(u, { now: Date.now() })).toBe(1);
      expect(await loadStatus(store, b)).toBe('missing');
      const anon = keyFor(store);
      expect(anon.tag).toBe('');
      expect(await store.create(anon, storedSession(), { now: Date.now() })).toBe(true);
      expect(await loadStatus(store, anon)).toBe('found');
    });

    it("keyed: the user's sessions and index sit under the keyed tag", async () => {
      const store = redisStore({ client: redis.client, tagSecret: SECRET_A });
      const u = 'keyed-user';
      const key = await signIn(store, u);
      expect(key.tag).toBe(store.shardTag!(u));
      expect(key.tag).toMatch(/^[0-9a-z]{4}$/);
      expect(Number(await redis.cmd('EXISTS', `tessera:{${key.tag}}s:${key.id}`))).toBe(1);
      expect(Number(await redis.cmd('ZCARD', `tessera:{${key.tag}}u:${u}`))).toBe(1);
      expect(await listedIds(store, u)).toEqual([key.id]);
      expect(
        await store.revokeUserSessions(u, {
          now: Date.now(),
          only: (await store.listUserSessions(u, { now: Date.now() }))[0]!.handle,
        }),
      ).toBe(1);
      expect(await loadStatus(store, key)).toBe('missing');
    });

    it('a new or changed tagSecret leaves no session usable that its index does not list', async () => {
      const none = redisStore({ client: redis.client });
      const a = redisStore({ client: redis.client, tagSecret: SECRET_A });
      const b = redisStore({ client: redis.client, tagSecret: SECRET_B });
      const u = 'rotated-secret-user';
      const untagged = await signIn(none, u);
      const underA = await signIn(a, u);
      // Each store finds exactly the sessions its own index lists for the user.
      for (const [store, mine, other] of [
        [none, untagged, underA],
        [a, underA, untagged],
      ] as const) {
        expect(await loadStatus(store, mine)).toBe('found');
        expect(await loadStatus(store, other)).toBe('missing');
        expect(await listedIds(store, u)).toEqual([mine.id]);
      }
      expect(await loadStatus(b, underA)).toBe('missing');
      expect(await loadStatus(b, untagged)).toBe('missing');
      expect(await listedIds(b, u)).toEqual([]);
      // Anonymous sessions have no index: any well-formed tag stays theirs.
      const anon = keyFor(a);
      expect(await a.create(anon, storedSession(), { now: Date.now() })).toBe(true);
      expect(await loadStatus(b, anon)).toBe('found');
    });

    it("refuses a user's session under another tag than the user's, on standalone too (it would be unlisted)", async () => {
      const store = redisStore({ client: redis.client, tagSecret: SECRET_A });
      const now = Date.now();
      const wrong = { id: keyFor(store).id, tag: store.shardTag!('someone-else') };
      await expect(
        store.rotate({
          now,
          from: null,
          to: { key: wrong, session: storedSession({ userId: 'me', now }) },
          limit,
        }),
      ).rejects.toMatchObject({ code: 'invalid_state' });
      const untagged = { id: keyFor(store).id, tag: '' };
      await expect(
        store.rotate({
          now,
          from: null,
          to: { key: untagged, session: storedSession({ userId: 'me', now }) },
          limit: null,
        }),
      ).rejects.toMatchObject({ code: 'invalid_state' });
    });
  });
