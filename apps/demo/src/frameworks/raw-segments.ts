import type { IncomingMessage } from 'node:http';

/**
 * Express (express.ts, and nestjs.ts on Nest's Express platform) decodes route parameters and
 * fails the request on a segment that does not decode (`%FF`): a 400 HTML page with a stack
 * trace on Express. Koa's and Hono's wirings read such a segment as its raw text, which the
 * route then refuses like any bad key (400 `bad_note`, 404 `not_found`). This middleware, run
 * before routing, does the same here: it escapes the `%` of each segment that does not decode,
 * so the router hands the route the raw text.
 */
export function rawBadSegments(req: IncomingMessage, _res: unknown, next: () => void): void {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path.includes('%')) {
    const fixed = path
      .split('/')
      .map((segment) => {
        try {
          decodeURIComponent(segment);
          return segment;
        } catch {
          return segment.replaceAll('%', '%25');
        }
      })
      .join('/');
    if (fixed !== path) req.url = fixed + (q === -1 ? '' : url.slice(q));
  }
  next();
}
