/** Putting the commit's headers on whatever Response the handler returned. */
import type { ResponseHeaders } from '@tessera/session-core';

/**
 * `res` with `headers` added (`set-cookie` appended, the others set). Appends in place when
 * the headers are mutable; a Response whose headers are immutable (`Response.redirect()`, a
 * `fetch()` response passed through) throws on the first change, having changed nothing, and
 * is copied into a new Response with the same body, status and headers.
 */
export function withHeaders(res: Response, headers: ResponseHeaders): Response {
  if (headers.length === 0) return res;
  try {
    put(res.headers, headers);
    return res;
  } catch {
    const copy = new Response(res.body, {
      status: res.status,
      statusText: res.statusText,
      headers: new Headers(res.headers),
    });
    put(copy.headers, headers);
    return copy;
  }
}

function put(target: Headers, headers: ResponseHeaders): void {
  for (const [name, value] of headers) {
    if (name === 'set-cookie') target.append(name, value);
    else target.set(name, value);
  }
}

/**
 * The handler's response is replaced (its commit failed): cancel its body, or a streamed one
 * waits forever on its reader and its producer's cleanup never runs. A locked body rejects.
 */
export function discard(res: Response): void {
  res.body?.cancel().catch(() => {});
}
