// POST /api/login { username, password }: 200 { userId }, 401 invalid_credentials. The users are
// the demo's (scrypt hashes, constant-time compare). withSession has checked the CSRF token.
import { verifyPassword } from '@tessera/demo/src/users';
import { withSession } from '@tessera/session-web';
import { manager } from '../../../lib/sessions';

export const POST = withSession(
  async (request, session) => {
    const body = (await request.json().catch(() => null)) as {
      username?: unknown;
      password?: unknown;
    } | null;
    const userId = await verifyPassword(body?.username, body?.password);
    if (!userId) return Response.json({ error: 'invalid_credentials' }, { status: 401 });
    await session.login(userId); // a new token; session_limit (409) is answered by withSession
    return Response.json({ userId });
  },
  { manager },
);
