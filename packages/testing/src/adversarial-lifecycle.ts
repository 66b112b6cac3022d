// Adversarial cases for the session lifecycle: fixation, replay, races with logout, login and revoke, deadlines and clock steps.

import { describe, expect, it } from 'vitest';
import { ABSOLUTE, type AdversarialContext, CAP, HOUR, IDLE, MIN, SID } from './adversarial-context.js';

export function describeLifecycleAttacks(suite: AdversarialContext): void {
  const {
    timeout,
    client,
    user,
    anonymousWith,
    authenticatedWith,
    keyOfToken,
    store,
    inner,
    manager,
    gate,
    clock,
  } = suite;

  describe('lifecycle attacks', () => {
    it(
      "fixation: an attacker's planted pre-login token is dead after the victim logs in",
      async () => {
        const attacker = client();
        const planted = await attacker.anonymous();
        const victim = client();
        victim.jar.set(SID, planted);
        const id = user();
        const fresh = await victim.signIn(id);
        expect(fresh).not.toBe(planted);
        expect(await authenticatedWith(fresh)).toBe(true);
        expect(await anonymousWith(`${SID}=${planted}`)).toBe(true);
        const probe = await attacker.send('GET', '/protected');
        expect(probe.status).toBe(401);
      },
      timeout,
    );

    it(
      'replay after logout: the old cookie and its CSRF token are dead',
      async () => {
        const b = client();
        const token = await b.signIn(user());
        const csrf = b.csrf;
        expect((await b.send('POST', '/logout')).status).toBe(204);
        const replay = client();
        replay.jar.set(SID, token);
        expect((await replay.send('GET', '/protected')).status).toBe(401);
        const write = await replay.send('POST', '/set', {
          json: { key: 'k', value: 1 },
          headers: { 'x-csrf-token': csrf },
        });
        expect(write.status).toBe(403);
        expect((await replay.send('POST', '/logout', { headers: { 'x-csrf-token': csrf } })).status).toBe(
          403,
        );
      },
      timeout,
    );

    it(
      'logout racing a slow in-flight write: the late write does not resurrect the session',
      async (ctx) => {
        if (!store().capabilities.noResurrect) {
          ctx.skip(true, 'capabilities.noResurrect is false: a late write may recreate the record');
          return;
        }
        const b = client();
        const token = await b.signIn(user());
        const arrived = gate.arm('update', 1);
        const slow = b.send('POST', '/set', { json: { key: 'late', value: 1 } });
        await arrived;
        const out = await client().send('POST', '/logout', {
          headers: { cookie: `${SID}=${token}`, 'x-csrf-token': b.csrf },
        });
        expect(out.status).toBe(204);
        gate.release();
        const late = await slow;
        expect(late.status).toBeLessThan(500);
        // The late request learns the session is gone and tells the browser to drop it.
        expect(late.sid.some((line) => /Max-Age=0/.test(line))).toBe(true);
        expect(await anonymousWith(`${SID}=${token}`)).toBe(true);
        const stored = await inner().load(keyOfToken(token), { now: clock.now(), touchIntervalMs: MIN });
        expect(stored.status).not.toBe('found');
      },
      timeout,
    );

    it(
      'two concurrent logins from one token: exactly one new token works, the old one is dead',
      async (ctx) => {
        if (!store().capabilities.atomicRotate) {
          ctx.skip(true, 'capabilities.atomicRotate is false');
          return;
        }
        const b = client();
        const token = await b.anonymous();
        const id = user();
        const arrived = gate.arm('rotate', 2);
        const headers = { cookie: `${SID}=${token}`, 'x-csrf-token': b.csrf };
        const logins = [0, 1].map(() => client().send('POST', '/login', { json: { userId: id }, headers }));
        await arrived;
        gate.release();
        const replies = await Promise.all(logins);
        const statuses = replies.map((r) => r.status).sort();
        expect(statuses).toEqual([200, 409]);
        const issued = replies
          .flatMap((r) => r.sid)
          .map((line) => line.split(';')[0]!.slice(SID.length + 1))
          .filter((v) => v !== '');
        expect(issued).toHaveLength(1);
        expect(await authenticatedWith(issued[0]!)).toBe(true);
        expect(await anonymousWith(`${SID}=${token}`)).toBe(true);
        expect((await manager().listSessions(id)).length).toBe(1);
      },
      timeout,
    );

    it(
      'idle boundary: valid at T−1 ms, expired at T and at T+1 ms',
      async () => {
        const t0 = clock.now();
        const tokens = [];
        for (let i = 0; i < 3; i++) tokens.push(await client().signIn(user()));
        expect(clock.now()).toBe(t0);
        const expected = [true, false, false];
        for (const [i, offset] of [-1, 0, 1].entries()) {
          clock.set(t0 + IDLE + offset);
          expect(await authenticatedWith(tokens[i]!), `T${offset >= 0 ? '+' : ''}${offset} ms`).toBe(
            expected[i],
          );
        }
      },
      timeout,
    );

    it(
      'absolute deadline under constant activity: valid at T−1 ms, dead at T',
      async () => {
        const t0 = clock.now();
        const token = await client().signIn(user());
        for (let t = 10 * MIN; t < ABSOLUTE; t += 10 * MIN) {
          clock.set(t0 + t);
          expect(await authenticatedWith(token), `at ${t / MIN} min`).toBe(true);
        }
        clock.set(t0 + ABSOLUTE - 1);
        expect(await authenticatedWith(token)).toBe(true);
        clock.set(t0 + ABSOLUTE);
        expect(await authenticatedWith(token)).toBe(false);
      },
      timeout,
    );

    it(
      'the clock stepping backwards buys no idle time and no absolute time',
      async () => {
        const t0 = clock.now();
        const token = await client().signIn(user());
        const idler = await client().signIn(user());
        clock.set(t0 - HOUR);
        expect(await authenticatedWith(token)).toBe(true);
        expect(await authenticatedWith(idler)).toBe(true);
        clock.set(t0 + IDLE);
        expect(await authenticatedWith(idler)).toBe(false);
        for (let t = t0; t < t0 + ABSOLUTE; t += 20 * MIN) {
          clock.set(t);
          expect(await authenticatedWith(token)).toBe(true);
        }
        clock.set(t0 + ABSOLUTE);
        expect(await authenticatedWith(token)).toBe(false);
        clock.set(t0 + ABSOLUTE + MIN);
      },
      timeout,
    );

    it(
      'a session seen expired stays dead when the clock then steps backwards (no revival)',
      async () => {
        const t0 = clock.now();
        const idle = await client().signIn(user());
        const absolute = await client().signIn(user());
        clock.set(t0 + IDLE);
        expect(await authenticatedWith(idle)).toBe(false);
        for (let t = t0 + 20 * MIN; t < t0 + ABSOLUTE; t += 20 * MIN) {
          clock.set(t);
          expect(await authenticatedWith(absolute)).toBe(true);
        }
        clock.set(t0 + ABSOLUTE);
        expect(await authenticatedWith(absolute)).toBe(false);
        // An NTP step back (or a peer with a slower clock) must not bring either back.
        clock.set(t0 + MIN);
        expect(await authenticatedWith(idle), 'idle-expired session revived').toBe(false);
        expect(await authenticatedWith(absolute), 'absolute-expired session revived').toBe(false);
        clock.set(t0 + ABSOLUTE + MIN);
      },
      timeout,
    );

    it(
      `${CAP + 1} parallel logins at a cap of ${CAP} (reject): exactly ${CAP} succeed, one answers 409`,
      async () => {
        const id = user();
        const browsers = Array.from({ length: CAP + 1 }, () => client());
        for (const b of browsers) await b.state();
        const replies = await Promise.all(
          browsers.map((b) => b.send('POST', '/login', { json: { userId: id } })),
        );
        const statuses = replies.map((r) => r.status).sort();
        expect(statuses).toEqual([...Array(CAP).fill(200), 409]);
        expect(replies.find((r) => r.status === 409)!.body).toEqual({ error: 'session_limit' });
        expect(await manager().listSessions(id)).toHaveLength(CAP);
        let working = 0;
        for (const b of browsers) if ((await b.state()).body.authenticated) working++;
        expect(working).toBe(CAP);
      },
      timeout,
    );

    it(
      'revoke-all racing new logins: no session issued before the revoke survives it',
      async () => {
        for (let round = 0; round < 3; round++) {
          const id = user();
          const before = [await client().signIn(id), await client().signIn(id)];
          const racers = [client(), client()];
          for (const b of racers) await b.state();
          const [revoked, ...replies] = await Promise.all([
            manager().revokeAllSessions(id),
            ...racers.map((b) => b.send('POST', '/login', { json: { userId: id } })),
          ]);
          expect(revoked).toBeGreaterThanOrEqual(0);
          for (const r of replies) expect([200, 409]).toContain(r.status);
          for (const token of before) expect(await authenticatedWith(token), `round ${round}`).toBe(false);
          const live = await manager().listSessions(id);
          expect(live.length).toBeLessThanOrEqual(replies.filter((r) => r.status === 200).length);
        }
      },
      timeout,
    );
  });
}
