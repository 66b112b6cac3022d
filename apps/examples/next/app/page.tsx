// The home page, a server component: it reads the session (it may not set cookies) and renders
// the sign-in form, or the counter, the user's devices and the log-out button.
import { readSession } from '@tessera/session-web';
import { cookies, headers } from 'next/headers';
import { manager } from '../lib/sessions';
import { revokeDevice } from './actions';
import { Counter, LoginForm, LogoutButton } from './ui';

export default async function Home() {
  const session = await readSession(manager, await cookies(), { headers: await headers() });
  if (!session.authenticated || !session.csrfToken) return <LoginForm />;
  const devices = await session.listSessions();
  return (
    <main>
      <p>
        Signed in as <b id="user">{session.userId}</b>.
      </p>
      <Counter initial={session.get('counter') ?? 0} csrfToken={session.csrfToken} />
      <h2>Your devices</h2>
      <table id="devices">
        <thead>
          <tr>
            <th>device</th>
            <th>signed in</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {devices.map((d) => (
            <tr key={d.handle}>
              <td>{d.userAgent ?? 'unknown'}</td>
              <td>{new Date(d.createdAt).toISOString()}</td>
              <td>
                {d.current ? (
                  'this device'
                ) : (
                  <form action={revokeDevice}>
                    <input type="hidden" name="handle" value={d.handle} />
                    <button type="submit" className="danger">
                      Revoke
                    </button>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <LogoutButton csrfToken={session.csrfToken} />
    </main>
  );
}
