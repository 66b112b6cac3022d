/**
 * The CSRF side of a request's session: which token an unsafe request must carry (the
 * session's, or the pre-session one while there is no session) and the check itself.
 */
import { readCookie } from './cookie.js';
import { type CsrfResult, checkOrigin, checkToken, isSafeMethod } from './csrf.js';
import type { ManagerInternals } from './manager.js';
import type { SessionRequest } from './request.js';

const PRE_SESSION_RE = /^[A-Za-z0-9_-]{43}$/;

type Header = (name: string) => string | undefined;

/** The pre-session cookie's value when it is well-formed, else null. */
export function readPreSession(m: ManagerInternals, header: Header): string | null {
  const c = readCookie(header('cookie'), m.csrfCookie.name, m.cookieLimits);
  return c.status === 'found' && PRE_SESSION_RE.test(c.value) ? c.value : null;
}

/**
 * Safe methods pass; otherwise Fetch Metadata / Origin, then the token from the configured
 * header or `formToken`. `sid` is the request's live session (active or pending), if any.
 */
export function checkRequestCsrf(
  m: ManagerInternals,
  req: SessionRequest,
  header: Header,
  viaHeader: boolean,
  sid: string | null,
  preSession: () => string | null,
  formToken: string | null | undefined,
): CsrfResult {
  const csrf = m.policy.csrf;
  if (!csrf.enabled || isSafeMethod(req.method) || viaHeader) return { ok: true };
  const origin = checkOrigin(
    { secFetchSite: header('sec-fetch-site'), origin: header('origin'), selfOrigin: req.selfOrigin },
    csrf,
  );
  if (!origin.ok) return origin;
  let expected: string | null = null;
  if (sid !== null) expected = m.codec.csrfTokenOf(sid);
  else {
    // The pre-session token serves only while there is no session: a planted pre-session
    // cookie must never authorise requests on a session (it would be a CSRF token the
    // attacker knows).
    const pre = preSession();
    if (pre) expected = m.codec.preSessionTokenOf(pre);
  }
  return checkToken(header(csrf.headerName) ?? formToken, expected === null ? [] : [expected]);
}
