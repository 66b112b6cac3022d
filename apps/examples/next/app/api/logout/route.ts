// POST /api/logout: 204; the session's record deleted and its cookie expired.
import { withSession } from '@tessera/session-web';
import { manager } from '../../../lib/sessions';

export const POST = withSession(
  async (_request, session) => {
    await session.logout();
    return new Response(null, { status: 204 });
  },
  { manager },
);
