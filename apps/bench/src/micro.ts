/**
 * In-process cost of the core's hot path, without HTTP: `begin` + `commit` for a read-only
 * request on an existing session, a request without a cookie, and their parts. Usage:
 * `node --conditions=@tessera/source --import tsx src/micro.ts` (add --cpu-prof to profile).
 */
import {
  createSessionManager,
  MemoryStore,
  readCookie,
  resolveCookieOptions,
  type SessionRequest,
  serializeCookie,
  TokenCodec,
} from '@tessera/session-core';

const N = Number(process.argv[2] ?? 20_000);
const store = new MemoryStore({ maxEntries: 100_000 });
const manager = createSessionManager({ store, cookie: { secure: false } });

const UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
function request(method: string, cookie: string | undefined): SessionRequest {
  const headers: Record<string, string> = { 'user-agent': UA, host: '127.0.0.1:3000' };
  if (cookie) headers.cookie = cookie;
  return { method, header: (n) => headers[n], ip: '127.0.0.1', selfOrigin: 'http://127.0.0.1:3000' };
}

async function time(label: string, fn: (i: number) => unknown): Promise<void> {
  for (let i = 0; i < 2000; i++) await fn(i);
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await fn(i);
  const c1 = process.cpuUsage(c0);
  const ns = Number(process.hrtime.bigint() - t0);
  console.log(
    `${label.padEnd(34)} ${(ns / N / 1000).toFixed(1).padStart(7)} µs wall  ${((c1.user + c1.system) / N).toFixed(1).padStart(7)} µs cpu`,
  );
}

const cookies: string[] = [];
for (let i = 0; i < 1000; i++) {
  const rs = await manager.begin(request('POST', undefined));
  await rs.session.login(`user-${i}`);
  rs.session.set('n', 0);
  const headers = await rs.commit();
  const set = headers.find(([k]) => k === 'set-cookie')![1];
  cookies.push(set.split(';')[0]!);
}

// The read's steps one by one (synchronous, so timed without an await per iteration).
function step(label: string, fn: (i: number) => unknown): void {
  let sink: unknown;
  for (let i = 0; i < 2000; i++) sink = fn(i);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N * 5; i++) sink = fn(i);
  const ns = Number(process.hrtime.bigint() - t0);
  const c1 = process.cpuUsage(c0);
  if (sink === Symbol.for('never')) console.log(sink);
  console.log(
    `  step: ${label.padEnd(26)} ${(ns / (N * 5) / 1000).toFixed(2).padStart(6)} µs wall  ${((c1.user + c1.system) / (N * 5)).toFixed(2).padStart(6)} µs cpu`,
  );
}
const codec = new TokenCodec({});
const cookieHeaders = cookies.map((c) => `theme=dark; ${c}; _ga=GA1.1.123456789.1700000000`);
const values = cookies.map((c) => c.slice(c.indexOf('=') + 1));
const name = cookies[0]!.slice(0, cookies[0]!.indexOf('='));
step('cookie parse (readCookie)', (i) => readCookie(cookieHeaders[i % 1000], name));
step('token decode (parse)', (i) => codec.parse(values[i % 1000]!));
step('at-rest hash (SHA-256)', (i) => codec.keyOf(values[i % 1000]!, ''));
step('CSRF token (csrfTokenOf)', (i) => codec.csrfTokenOf(values[i % 1000]!));
const cookieOptions = resolveCookieOptions({ secure: false });
step('Set-Cookie (serializeCookie)', (i) =>
  serializeCookie(cookieOptions, values[i % 1000]!, { maxAge: 1800 }),
);

await time('none: begin + commit', async () => {
  const rs = await manager.begin(request('GET', undefined));
  return rs.commit();
});
await time('read: begin + get + commit', async (i) => {
  const rs = await manager.begin(request('GET', cookies[i % cookies.length]));
  rs.session.get('n');
  return rs.commit();
});
await time('read: store.load only', async () => {
  return store.load({ id: 'x'.repeat(43), tag: '' }, { now: Date.now(), touchIntervalMs: 60_000 });
});
await time('write: begin + set + commit', async (i) => {
  const rs = await manager.begin(request('POST', cookies[i % cookies.length]));
  rs.session.set('n', i);
  return rs.commit();
});

// The Hono adapter in process (app.request: no sockets), bare vs with the session middleware.
const { Hono } = await import('hono');
const { session } = await import('@tessera/session-hono');
type SessionEnv = import('@tessera/session-hono').SessionEnv;
const bare = new Hono();
bare.get('/none', (c) => c.json({ ok: true }));
bare.get('/read', (c) => c.json({ n: 0 }));
const withSession = new Hono<SessionEnv>();
withSession.use(session({ manager }));
withSession.get('/none', (c) => c.json({ ok: true }));
withSession.get('/read', (c) => c.json({ n: c.get('session').get('n') }));
const h = (cookie?: string) => ({ headers: { 'user-agent': UA, ...(cookie ? { cookie } : {}) } });
await time('hono bare /none', () => bare.request('/none', h()));
await time('hono + tessera /none', () => withSession.request('/none', h()));
await time('hono bare /read', (i) => bare.request('/read', h(cookies[i % cookies.length])));
await time('hono + tessera /read (memory)', (i) =>
  withSession.request('/read', h(cookies[i % cookies.length])),
);
