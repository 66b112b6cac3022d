'use client';
// The parts that change the session's cookie go through route handlers (a server component
// cannot set cookies), with the CSRF token in `x-csrf-token`, then refresh the server components.
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';

async function post(path: string, csrfToken: string, body?: unknown): Promise<Response> {
  return fetch(path, {
    method: 'POST',
    headers: { 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
}

export function LoginForm() {
  const router = useRouter();
  const [error, setError] = useState('');
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    // The pre-session token (and its cookie) come from a route handler.
    const { csrfToken } = (await (await fetch('/api/session')).json()) as { csrfToken: string };
    const res = await post('/api/login', csrfToken, {
      username: form.get('username'),
      password: form.get('password'),
    });
    if (res.ok) router.refresh();
    else setError(res.status === 401 ? 'Wrong user name or password.' : `Sign-in failed (${res.status}).`);
  }
  return (
    <form id="login" onSubmit={submit}>
      <h2>Sign in</h2>
      <p>
        <input id="username" name="username" placeholder="alice" autoComplete="username" />{' '}
        <input id="password" name="password" type="password" placeholder="wonderland" />{' '}
        <button type="submit">Sign in</button>
      </p>
      <p role="alert">{error}</p>
    </form>
  );
}

export function Counter({ initial, csrfToken }: { initial: number; csrfToken: string }) {
  const [counter, setCounter] = useState(initial);
  async function count() {
    const res = await post('/api/counter', csrfToken);
    if (res.ok) setCounter(((await res.json()) as { counter: number }).counter);
  }
  return (
    <p id="count">
      Counter: <b id="counter">{counter}</b>{' '}
      <button type="button" onClick={count}>
        +1
      </button>
    </p>
  );
}

export function LogoutButton({ csrfToken }: { csrfToken: string }) {
  const router = useRouter();
  async function logout() {
    if ((await post('/api/logout', csrfToken)).ok) router.refresh();
  }
  return (
    <p id="logout">
      <button type="button" onClick={logout}>
        Log out
      </button>
    </p>
  );
}
