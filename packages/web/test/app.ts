/** The contract suite's TEST APP (routes: see adapter-contract.ts), one withSession per route. */
import type { SessionManager, TrustProxy } from '@tessera/session-core';
import { requireAuth, type SessionHandler, skipCsrf, withSession } from '../src/index.js';
import { clientIp, type Fetch } from './runtime.js';

const json = (body: unknown, status = 200) => Response.json(body, { status });
const empty = () => new Response(null, { status: 204 });

const routes: Record<string, SessionHandler> = {
  'GET /state': (_req, s) =>
    json({
      authenticated: s.authenticated,
      userId: s.userId,
      handle: s.handle,
      csrfToken: s.csrfToken,
      data: s.toJSON(),
    }),
  'POST /set': async (req, s) => {
    const { key, value } = (await req.json()) as { key: string; value: unknown };
    s.set(key, value as never);
    return empty();
  },
  'POST /login': async (req, s) => {
    const { userId } = (await req.json()) as { userId: string };
    await s.login(userId);
    return json({ userId });
  },
  'POST /login-redirect': async (req, s) => {
    const { userId } = (await req.json()) as { userId: string };
    await s.login(userId);
    // Response.redirect() needs an absolute URL and its headers are immutable.
    return Response.redirect(new URL('/state', req.url).href, 303);
  },
  'POST /logout': async (_req, s) => {
    await s.logout();
    return empty();
  },
  'GET /protected': requireAuth((_req, s) => json({ userId: s.userId })),
  'GET /recent': requireAuth((_req, s) => json({ userId: s.userId }), { maxAuthAgeMs: 60_000 }),
  'GET /devices': requireAuth(async (_req, s) => json(await s.listSessions())),
  'POST /form': async (req) => {
    const note = (await req.formData()).get('note');
    return json({ note: typeof note === 'string' ? note : null });
  },
  'POST /hook': skipCsrf((_req, s) => {
    s.set('hook', true);
    return empty();
  }),
};

export function buildApp(manager: SessionManager, adapter: { trustProxy?: TrustProxy } = {}): Fetch {
  const options = { manager, clientIp, ...adapter };
  const wrapped = new Map(Object.entries(routes).map(([route, h]) => [route, withSession(h, options)]));
  return async (request, extra) => {
    const route = wrapped.get(`${request.method} ${new URL(request.url).pathname}`);
    return route ? route(request, extra) : json({ error: 'not_found' }, 404);
  };
}
