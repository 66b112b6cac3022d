/** HTTP helpers of the runner: the session pool, and plain sequential requests for counting. */
import { cookiesFor, ROUTES, type Scenario } from './contenders.js';

/**
 * Every request of the bench (pool set-up, counting, load) carries this user agent, so the
 * client that logged in is the client that comes back: a changed user agent would make
 * Tessera's client binding report an anomaly on every request, which no real user causes.
 */
export const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) tessera-bench/1.0';

/** The session cookie(s) of a Set-Cookie list: last value per name wins, as in a browser. */
export function cookieHeader(setCookies: readonly string[]): string {
  const jar = new Map<string, string>();
  for (const line of setCookies) {
    const pair = line.split(';')[0]!;
    const eq = pair.indexOf('=');
    if (eq > 0) jar.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

/** Log `size` users in through the server's own /setup route; answers their cookies. */
export async function createPool(url: string, size: number, concurrency = 24): Promise<string[]> {
  const cookies: string[] = new Array(size);
  let next = 0;
  const worker = async () => {
    while (next < size) {
      const i = next++;
      const res = await fetch(`${url}/setup?u=${i}`, {
        method: 'POST',
        headers: { 'user-agent': USER_AGENT },
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`[bench] setup ${i}: HTTP ${res.status}`);
      cookies[i] = cookieHeader(res.headers.getSetCookie());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return cookies;
}

/** `n` requests of a scenario, one after another (for counting, not timing). */
export async function sequential(
  url: string,
  scenario: Scenario,
  cookies: readonly string[],
  n: number,
): Promise<void> {
  const route = ROUTES[scenario];
  const jar = cookiesFor(route, cookies);
  for (let i = 0; i < n; i++) {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT };
    if (jar?.length) headers.cookie = jar[i % jar.length]!;
    const res = await fetch(url + route.path, {
      method: route.method,
      headers,
      signal: AbortSignal.timeout(5000),
    });
    await res.arrayBuffer();
  }
}

/** The first and last sessions of a pool still read as signed in (`u` set), or the run stops. */
export async function assertSignedIn(name: string, url: string, cookies: readonly string[]): Promise<void> {
  for (const cookie of [cookies[0], cookies.at(-1)]) {
    const res = await fetch(`${url}/read`, {
      headers: { cookie: cookie!, 'user-agent': USER_AGENT },
      signal: AbortSignal.timeout(5000),
    });
    const body = (await res.json()) as { u?: unknown };
    if (typeof body.u !== 'string')
      throw new Error(
        `[bench] ${name}: a pool session no longer reads as signed in (${JSON.stringify(body)})`,
      );
  }
}
