/**
 * Redis Cluster (3 masters + 3 replicas) failing over during load, three phases on one
 * cluster:
 *  1. graceful `CLUSTER FAILOVER` on the replica of the master holding the load's users;
 *  2. that (new) master SIGKILLed: its replica is promoted after cluster-node-timeout;
 *  3. another master SIGKILLed, with the store's `durability: { replicas: 1 }` (WAIT).
 * Each phase counts what acknowledged work the failover undid: counter increments lost,
 * logins lost (a signed-in device found anonymous), logouts undone (a logged-out cookie
 * signed in again). Figures are printed and written to results/cluster-failover.json (and
 * cluster-failover-node-redis.json: the whole run again with the store on node-redis).
 */
import type { SessionStore } from '@tessera/session-core';
import { redisStore } from '@tessera/session-redis';
import {
  type RedisCluster,
  redisAvailable,
  redisCommand,
  serviceMissing,
  startRedisCluster,
} from '@tessera/test-support';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownerOf, pidOf, waitClusterOk, waitMaster } from '../src/cluster.js';
import { type FaultApp, startFaultApp } from '../src/fault-app.js';
import { Device, isStoreUnavailable } from '../src/http.js';
import { byStatus, runLoad, type Sample, sleep } from '../src/load.js';
import { report } from '../src/results.js';

const DEVICES = 12;

const noCluster =
  !redisAvailable(true) &&
  serviceMissing('redis-server and redis-cli', 'install redis-server (Redis 7) and redis-cli');

interface Dev {
  readonly device: Device;
  readonly user: string;
  signedIn: boolean;
  /** The counter as last acknowledged (a 200) for the current session. */
  acked: number;
  steps: number;
  /** A logout answered 503: it may or may not have happened, so a signed-out session is no loss. */
  logoutUncertain: boolean;
}

interface Outcome {
  requests: number;
  byStatus: Record<string, number>;
  failures: number;
  non503Failures: number;
  loginsRefusedAfterHeal: number;
  /** Counter requests (a read and an update, no WAIT) refused from 1 s after the heal. */
  writesRefusedAfterHeal: number;
  lostIncrements: number;
  lostLogins: number;
  /** Sessions found signed out after a logout that answered 503 (it had landed): not a loss. */
  unconfirmedLogoutsThatLanded: number;
  undoneLogouts: number;
  /** Sessions the final check could not read (no 200 within 10 s): neither kept nor lost. */
  unanswered: number;
  failuresByOp: Record<string, number>;
  outageMs: number;
}

// A Cluster needs keyed routing tags; every store here shares one secret, so a user's slot is the same in all.
const tagSecret = 'hardening-cluster-tag-secret-0123456789';

/** GET /state until it answers 200 (at most 10 s); undefined if it never does. */
async function settled(device: Device): Promise<{ authenticated: boolean; counter: number } | undefined> {
  for (const until = Date.now() + 10_000; Date.now() < until; await sleep(100)) {
    const r = await device.send('GET', '/state');
    if (r.status === 200) return r.body as { authenticated: boolean; counter: number };
  }
  return undefined;
}

/** The store's client on node-redis, as its README recommends; retrying every 100 ms. */
async function nodeRedisCluster(nodes: RedisCluster['nodes']) {
  const c = createCluster({
    rootNodes: nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })),
    defaults: { disableOfflineQueue: true, socket: { connectTimeout: 1000, reconnectStrategy: () => 100 } },
    // Re-read the topology every 500 ms while a node is unreachable (default 5 s): a promoted
    // replica is found soon after the failover, not seconds later.
    topologyRefreshOnReconnectionAttemptStrategy: 500,
  });
  c.on('error', () => {});
  await c.connect();
  return c;
}

for (const kind of ['ioredis', 'node-redis'] as const)
  describe.skipIf(noCluster)(`Redis Cluster failover during load, on ${kind}`, () => {
    let cluster: RedisCluster;
    /** ioredis: the store's client too; node-redis: only asked about the topology. */
    let client: Cluster;
    let nodeClient: Awaited<ReturnType<typeof nodeRedisCluster>> | undefined;
    let plain: FaultApp;
    let durable: FaultApp;
    const ports = () => cluster.nodes.map((n) => n.port);
    const figures: Record<string, Outcome> = {};

    beforeAll(async () => {
      cluster = await startRedisCluster();
      client = new Cluster([...cluster.nodes], {
        enableOfflineQueue: false,
        redisOptions: { maxRetriesPerRequest: 1, commandTimeout: 1000, autoResendUnfulfilledCommands: false },
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
      });
      client.on('error', () => {});
      client.on('node error', () => {});
      await new Promise<void>((resolve) => client.once('ready', () => resolve()));
      if (kind === 'node-redis') nodeClient = await nodeRedisCluster(cluster.nodes);
      const storeClient = nodeClient ?? client;
      plain = await startFaultApp({
        store: redisStore({ client: storeClient, tagSecret, timeoutMs: 1000 }),
        storeTimeoutMs: 2000,
      });
      durable = await startFaultApp({
        store: redisStore({
          client: storeClient,
          tagSecret,
          timeoutMs: 1000,
          durability: { replicas: 1, timeoutMs: 500 },
        }),
        storeTimeoutMs: 2000,
      });
    }, 90_000);
    afterAll(async () => {
      await plain?.close();
      await durable?.close();
      if (nodeClient?.isOpen) nodeClient.destroy();
      client?.disconnect();
      await cluster?.stop();
      report(kind === 'ioredis' ? 'cluster-failover' : 'cluster-failover-node-redis', figures);
    });

    /** A live node to ask about the topology (a killed one would not answer). */
    async function anyLive(): Promise<number> {
      for (const port of ports()) {
        try {
          if ((await redisCommand(port, 'PING', 300)) === '+PONG') return port;
        } catch {}
      }
      throw new Error('no live node');
    }

    /** `count` user ids whose sessions live on the master serving the slot of `seed`. */
    async function usersOnMasterOf(store: SessionStore, seed: string, count: number) {
      const slotOf = async (user: string) =>
        Number(await client.cluster('KEYSLOT', `tessera:{${store.shardTag!(user)}}`));
      const { master, replica } = await ownerOf(await anyLive(), await slotOf(seed));
      const inRange = (slot: number) => master.slots.some(([a, b]) => slot >= a && slot <= b);
      const users: string[] = [];
      for (let i = 0; users.length < count && i < 2000; i++) {
        const u = `${seed}-${i}`;
        if (inRange(await slotOf(u))) users.push(u);
      }
      return { master, replica, users };
    }

    /**
     * Sign every device in, run the load, fire `fault` after 1 s, keep loading until `fault`
     * resolves (the cluster healed) + 1.5 s, then check what survived.
     */
    async function phase(
      app: FaultApp,
      users: readonly string[],
      fault: () => Promise<void>,
    ): Promise<Outcome> {
      const devs: Dev[] = users.map((user) => ({
        device: new Device(app.url),
        user,
        signedIn: false,
        acked: 0,
        steps: 0,
        logoutUncertain: false,
      }));
      const loggedOut: string[] = [];
      let lostIncrements = 0;
      let lostLogins = 0;
      let landed = 0;
      /** Count a session found signed out; true when a 503 logout explains it (no loss). */
      const signedOut = (d: Dev): boolean => {
        const explained = d.logoutUncertain;
        if (explained) landed++;
        else lostLogins++;
        d.logoutUncertain = false;
        return explained;
      };
      for (const d of devs) {
        const r = await d.device.send('POST', '/login', { userId: d.user });
        expect(r.status).toBe(200);
        d.signedIn = true;
        d.acked = (r.body as { counter: number }).counter;
      }
      let faultAt = 0;
      let healedAt = 0;
      const faultDone = (async () => {
        await sleep(1000);
        faultAt = Date.now();
        await fault();
        healedAt = Date.now();
      })();
      const samples: Sample[] = await runLoad({
        clients: devs,
        until: Date.now() + 40_000,
        stop: () => healedAt > 0 && Date.now() > healedAt + 1500,
        step: async (d, _i, record) => {
          d.steps++;
          if (!d.signedIn) {
            const r = record('login', await d.device.send('POST', '/login', { userId: d.user }));
            if (r.status === 200) {
              d.signedIn = true;
              d.acked = (r.body as { counter: number }).counter;
            }
            return;
          }
          if (d.steps % 6 === 0) {
            const cookie = d.device.cookie();
            const r = record('logout', await d.device.send('POST', '/logout'));
            if (r.status === 204) {
              if (cookie) loggedOut.push(cookie);
              d.signedIn = false;
            } else d.logoutUncertain = true;
            return;
          }
          const r = record('write', await d.device.send('POST', '/counter'));
          if (r.status !== 200) return;
          const { counter, authenticated } = r.body as { counter: number; authenticated: boolean };
          if (!authenticated) {
            // The session is gone: lost by the failover, unless a 503 logout had in fact landed.
            if (!signedOut(d)) lostIncrements += d.acked;
            d.signedIn = false;
            d.device.jar.clear();
            return;
          }
          d.logoutUncertain = false;
          // What the store held before this increment; anything acknowledged above it is gone.
          if (counter - 1 < d.acked) lostIncrements += d.acked - (counter - 1);
          d.acked = counter;
        },
      });
      await faultDone;
      // After: the current sessions and the logged-out cookies, read once more. Only a 200 says
      // whether a session exists; a 503 says nothing either way (e.g. the promoted master's
      // connection still busy with WAITs that no replica can satisfy), so it is asked again.
      let unanswered = 0;
      const stateOf = async (device: Device) => {
        const answer = await settled(device);
        if (!answer) unanswered++;
        return answer;
      };
      for (const d of devs.filter((x) => x.signedIn)) {
        const s = await stateOf(d.device);
        if (!s) continue;
        if (!s.authenticated) {
          if (!signedOut(d)) lostIncrements += d.acked;
        } else if (s.counter < d.acked) lostIncrements += d.acked - s.counter;
      }
      let undoneLogouts = 0;
      for (const cookie of loggedOut) {
        const replay = new Device(app.url);
        replay.jar.set('__Host-sid', cookie);
        if ((await stateOf(replay))?.authenticated) undoneLogouts++;
      }
      const failures = samples.filter((s) => s.status !== 200 && s.status !== 204);
      const failuresByOp: Record<string, number> = {};
      for (const f of failures) failuresByOp[f.op] = (failuresByOp[f.op] ?? 0) + 1;
      const refusedAfterHeal = (op: string) =>
        failures.filter((s) => s.op === op && s.t0 > healedAt + 1000).length;
      return {
        requests: samples.length,
        byStatus: byStatus(samples),
        failures: failures.length,
        non503Failures: failures.filter((s) => !isStoreUnavailable(s)).length,
        loginsRefusedAfterHeal: refusedAfterHeal('login'),
        writesRefusedAfterHeal: refusedAfterHeal('write'),
        lostIncrements,
        lostLogins,
        unconfirmedLogoutsThatLanded: landed,
        undoneLogouts,
        unanswered,
        failuresByOp,
        outageMs: healedAt - faultAt,
      };
    }

    it('graceful CLUSTER FAILOVER: sessions survive on the promoted replica, nothing acknowledged is lost', async () => {
      const { master, replica, users } = await usersOnMasterOf(
        redisStore({ client, tagSecret }),
        'graceful',
        DEVICES,
      );
      expect(replica).toBeDefined();
      const out = await phase(plain, users, async () => {
        await redisCommand(replica!.port, 'CLUSTER FAILOVER');
        await waitMaster(replica!.port);
        await waitClusterOk(replica!.port);
      });
      figures.gracefulFailover = out;
      expect(master.port).not.toBe(replica!.port);
      expect(plain.crashes).toEqual([]);
      expect(out.non503Failures).toBe(0);
      expect(out.unanswered).toBe(0);
      expect(out.lostLogins).toBe(0);
      expect(out.undoneLogouts).toBe(0);
      expect(out.lostIncrements).toBe(0);
    }, 60_000);

    it('master SIGKILLed (no WAIT): the replica takes over; losses are counted and reported', async () => {
      const { master, replica, users } = await usersOnMasterOf(
        redisStore({ client, tagSecret }),
        'graceful',
        DEVICES,
      );
      expect(replica).toBeDefined();
      const pid = await pidOf(master.port);
      const out = await phase(plain, users, async () => {
        process.kill(pid, 'SIGKILL');
        await waitMaster(replica!.port);
        await waitClusterOk(replica!.port);
      });
      figures.masterKilled = out;
      expect(plain.crashes).toEqual([]);
      expect(out.non503Failures).toBe(0);
    }, 60_000);

    it('master SIGKILLed with durability { replicas: 1 }: no acknowledged login or logout is lost', async () => {
      const { master, replica, users } = await usersOnMasterOf(
        redisStore({ client, tagSecret }),
        'durable',
        DEVICES,
      );
      expect(replica).toBeDefined();
      const pid = await pidOf(master.port);
      const out = await phase(durable, users, async () => {
        process.kill(pid, 'SIGKILL');
        await waitMaster(replica!.port);
        await waitClusterOk(replica!.port);
      });
      figures.masterKilledWithWait = out;
      expect(durable.crashes).toEqual([]);
      expect(out.non503Failures).toBe(0);
      // Logins and logouts wait for a replica the healed shard no longer has; reads and
      // updates must not wait behind them.
      expect(out.writesRefusedAfterHeal).toBe(0);
      expect(out.unanswered).toBe(0);
      expect(out.lostLogins).toBe(0);
      expect(out.undoneLogouts).toBe(0);
    }, 60_000);
  });
