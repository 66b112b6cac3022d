// POST /api/counter: 200 { counter }, one more than before (signed in or not).
import { withSession } from '@tessera/session-web';
import { manager } from '../../../lib/sessions';

export const POST = withSession(
  (_request, session) => {
    const counter = (session.get('counter') ?? 0) + 1;
    session.set('counter', counter);
    return Response.json({ counter });
  },
  { manager },
);
