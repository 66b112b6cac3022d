// GET /api/session: the session's state and its CSRF token. For a visitor without a session
// that is the pre-session token, whose cookie only a route handler (or action) can set: the
// login form fetches it from here.
import { withSession } from '@tessera/session-web';
import { manager } from '../../../lib/sessions';

export const GET = withSession(
  (_request, session) =>
    Response.json({
      authenticated: session.authenticated,
      userId: session.userId,
      csrfToken: session.csrfToken,
      counter: session.get('counter') ?? 0,
    }),
  { manager },
);
