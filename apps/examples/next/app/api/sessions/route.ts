// GET /api/sessions: the signed-in user's devices (401 signed out).
import { requireAuth, withSession } from '@tessera/session-web';
import { manager } from '../../../lib/sessions';

export const GET = withSession(
  requireAuth(async (_request, session) => Response.json(await session.listSessions())),
  { manager },
);
