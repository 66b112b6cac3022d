// The scale runs: 1,000 sessions against 1,000,000 more (Redis, then Postgres), and memory per session.
import pg from 'pg';
import { config, log, PG_SCHEMA, PG_URL } from './cli.js';
import { CONTENDERS, type Contender, contenderNamed } from './contenders.js';
import { createPool } from './http.js';
import { measure } from './measure.js';
import { type Loader, ServerProcess } from './procs.js';
import { median, type Sample } from './report.js';
import { averageMemoryUsage, bulkLoad, sampleKeys, usedMemory } from './scale.js';
import { bulkInsertRows, deleteBulkRows, rowCount } from './scale-postgres.js';
import { resetPostgres, type Services } from './services.js';

/**
 * Memory per small signed-in session (user id + one number, the bench's user agent): MEMORY
 * USAGE of connect-redis' record, and of Tessera's session hash plus its user index entry.
 */
export async function memoryPerSession(s: Services): Promise<Record<string, unknown>> {
  const admin = s.admin;
  const out: Record<string, unknown> = {};
  await admin.flushall();
  let srv = await ServerProcess.start('express-session+connect-redis', s.env, 0);
  try {
    await createPool(srv.url, 200);
    out.connectRedisBytesPerSession = await averageMemoryUsage(admin, await sampleKeys(admin, 'sess:*', 200));
  } finally {
    await srv.stop();
  }
  await admin.flushall();
  srv = await ServerProcess.start('tessera-hono+redis', s.env, 0);
  try {
    await createPool(srv.url, 200);
    const session = await averageMemoryUsage(admin, await sampleKeys(admin, 'tessera:*s:*', 200));
    const index = await averageMemoryUsage(admin, await sampleKeys(admin, 'tessera:*u:user-*', 200));
    out.tesseraBytesPerSession = {
      sessionHash: session,
      userIndex: index,
      total: (session ?? 0) + (index ?? 0),
    };
  } finally {
    await srv.stop();
    await admin.flushall();
  }
  return out;
}

/** 1,000 sessions vs 1,000,000 more, on Tessera + Hono + Redis (then Postgres). */
export async function scaleCheck(s: Services, loader: Loader): Promise<Record<string, unknown>> {
  const admin = s.admin;
  const tessera = CONTENDERS.find((c) => c.name === 'tessera-hono+redis')!;
  const out: Record<string, unknown> = {};

  await s.admin.flushall();
  const srv = await ServerProcess.start(tessera.name, s.env, 0);
  try {
    let cookies = await createPool(srv.url, 1000);
    const sessionKeys = await sampleKeys(admin, 'tessera:*s:*', 200);
    const indexKeys = await sampleKeys(admin, 'tessera:*u:user-*', 200);

    const phase = async (label: string) => {
      const m = await scalePhase(s, loader, srv, tessera, cookies, () => admin.dbsize(), `redis ${label}`);
      return {
        keys: m.size,
        reqPerSec: m.reqPerSec,
        p50Ms: m.p50Ms,
        p99Ms: m.p99Ms,
        serverCpuUsPerReq: m.serverCpuUsPerReq,
        redisExecutedPerReq: m.redisExecutedPerReq,
      };
    };
    const small = await phase('1k');
    const loaded = await bulkLoad(admin, sessionKeys[0]!, indexKeys[0]!, config.scaleSessions, log);
    const large = await phase(`${config.scaleSessions}`);
    const memoryAfterBulk = await usedMemory(admin);
    // Back to 1k (A-B-A), so drift over the run shows up instead of passing for a scale effect.
    await admin.flushall();
    cookies = await createPool(srv.url, 1000);
    const smallAgain = await phase('1k again');
    out.read = { sessions1k: small, sessions1M: large, sessions1kAgain: smallAgain };
    out.bulkLoad = {
      sessions: config.scaleSessions,
      ms: loaded.ms,
      usedMemoryBytesPerSession: loaded.bytesPerSession,
      usedMemoryAfter: memoryAfterBulk,
    };
  } finally {
    await srv.stop();
  }
  if (s.postgres) out.postgres = await postgresScale(s, loader);
  return out;
}

/** Read-only phases on one server (3 by default); medians, with the store's size measured alongside. */
async function scalePhase(
  s: Services,
  loader: Loader,
  srv: ServerProcess,
  c: Contender,
  cookies: readonly string[],
  size: () => Promise<number>,
  label: string,
  passes = 3,
) {
  // Short phases: what counts is the same read at two sizes, measured alike, A-B-A.
  const samples: Sample[] = [];
  for (let i = 0; i < passes; i++)
    samples.push(await measure(s, loader, srv, c, 'read', cookies, Math.min(config.durationSec, 3), 1));
  const n = await size();
  const reqPerSec = Math.round(median(samples.map((x) => x.reqPerSec)));
  log(`  scale ${label}: ${n} rows/keys, ${reqPerSec} req/s`);
  return {
    size: n,
    reqPerSec,
    p50Ms: median(samples.map((x) => x.p50Ms)),
    p99Ms: median(samples.map((x) => x.p99Ms)),
    serverCpuUsPerReq: Math.round(median(samples.map((x) => x.cpuUsPerReq))),
    redisExecutedPerReq: median(samples.map((x) => x.redisExecutedPerReq ?? 0)),
    statementsPerReq: median(samples.map((x) => x.storeCmdsPerReq ?? 0)),
  };
}

/** The read with ~1,000 rows, with 1,000,000 more, and with ~1,000 again (A-B-A), on Postgres. */
async function postgresScale(s: Services, loader: Loader): Promise<Record<string, unknown>> {
  const c = contenderNamed('tessera-hono+postgres');
  const table = `${PG_SCHEMA}.tessera_sessions`;
  await resetPostgres();
  const srv = await ServerProcess.start(c.name, s.env, 0);
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const cookies = await createPool(srv.url, 1000);
    const rows = () => rowCount(client, table);
    // Two phases per size, not three: the full run must stay under 10 minutes.
    const small = await scalePhase(s, loader, srv, c, cookies, rows, 'postgres 1k', 2);
    const loaded = await bulkInsertRows(client, table, config.scaleSessions, log);
    const large = await scalePhase(s, loader, srv, c, cookies, rows, `postgres +${config.scaleSessions}`, 2);
    await deleteBulkRows(client, table);
    const smallAgain = await scalePhase(s, loader, srv, c, cookies, rows, 'postgres 1k again', 2);
    return { rows1k: small, rows1M: large, rows1kAgain: smallAgain, bulkInsertMs: loaded.ms };
  } finally {
    await client.end();
    await srv.stop();
  }
}
