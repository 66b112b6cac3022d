// DELETE /api/sessions/:handle: revoke one of the signed-in user's devices; 204, 404 not_found.
import { requireAuth, withSession } from '@tessera/session-web';
import { type Data, manager } from '../../../../lib/sessions';

type Context = { params: Promise<{ handle: string }> };

export const DELETE = withSession<Data, [Context]>(
  requireAuth(async (_request, session, { params }) => {
    const { handle } = await params;
    const done = await session.revokeSession(handle);
    return done
      ? new Response(null, { status: 204 })
      : Response.json({ error: 'not_found' }, { status: 404 });
  }),
  { manager },
);
