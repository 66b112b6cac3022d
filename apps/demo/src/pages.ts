/**
 * Server-rendered pages. Forms carry the CSRF token (the pre-session token on the login form);
 * a few lines of inline script send them to the JSON API with the `x-csrf-token` header and
 * reload. No build step.
 */
import type { Session, SessionInfo } from '@tessera/session-core';
import type { DemoData } from './api.js';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function time(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330; }
  h1 { font-size: 1.6rem; margin-bottom: .2rem; } .sub { color: #5b6477; margin-top: 0; }
  section { border: 1px solid #d9dee8; border-radius: 10px; padding: 1rem 1.25rem; margin: 1rem 0; }
  label { display: block; margin: .5rem 0 .2rem; font-weight: 600; }
  input { font: inherit; padding: .45rem .6rem; border: 1px solid #b9c1d0; border-radius: 6px; width: 16rem; }
  button { font: inherit; padding: .45rem .9rem; border-radius: 6px; border: 1px solid #3050c8; background: #3a5bd9; color: white; cursor: pointer; }
  button.secondary { background: white; color: #3a5bd9; } button.danger { background: #c83a3a; border-color: #a82c2c; }
  table { width: 100%; border-collapse: collapse; font-size: .92rem; } td, th { text-align: left; padding: .35rem .4rem; border-bottom: 1px solid #eef0f5; }
  .counter { font-size: 2.4rem; font-weight: 700; margin-right: 1rem; } .row { display: flex; align-items: center; gap: .6rem; flex-wrap: wrap; }
  .actions { margin-top: 1rem; } .tag { background: #e6f4ea; color: #1e6b34; border-radius: 4px; padding: 0 .4rem; font-size: .8rem; } .error { color: #b3261e; min-height: 1.5rem; }
  code { background: #f3f5f9; padding: 0 .3rem; border-radius: 4px; }`;

// Forms declare their API call in data attributes; the token travels in a header, never the URL.
const SCRIPT = `
document.querySelectorAll('form[data-api]').forEach((form) => form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = document.querySelector('meta[name=csrf-token]').content;
  const body = form.dataset.json ? JSON.stringify(Object.fromEntries(new FormData(form))) : undefined;
  const res = await fetch(form.dataset.api, { method: form.dataset.method || 'POST', credentials: 'same-origin',
    headers: { 'x-csrf-token': token, ...(body ? { 'content-type': 'application/json' } : {}) }, body });
  if (res.ok) { location.reload(); return; }
  const data = await res.json().catch(() => ({}));
  const wait = Number(res.headers.get('retry-after'));
  document.getElementById('error').textContent = res.status === 429 && wait > 0
    ? 'Too many failed sign-ins for this account. Try again in ' + inWords(wait) + '.'
    : 'Error ' + res.status + ': ' + (data.error || res.statusText);
}));
function inWords(seconds) {
  if (seconds < 60) return seconds + (seconds === 1 ? ' second' : ' seconds');
  const minutes = Math.ceil(seconds / 60);
  return minutes + (minutes === 1 ? ' minute' : ' minutes');
}`;

function layout(title: string, csrfToken: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${escapeHtml(csrfToken)}"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>Tessera demo</h1><p class="sub">Server-side sessions: secure by default, nothing lost when requests race.</p>
${body}<p id="error" class="error" role="alert"></p><script>${SCRIPT}</script></body></html>`;
}

export function renderHome(session: Session<DemoData>, devices: readonly SessionInfo[]): string {
  const csrf = session.csrfToken;
  if (!session.authenticated) {
    return layout(
      'Sign in — Tessera demo',
      csrf,
      `<section><h2>Sign in</h2>
<form id="login" data-api="/api/login" data-json="1">
  <input type="hidden" name="_csrf" value="${escapeHtml(csrf)}">
  <label for="username">Username</label><input id="username" name="username" autocomplete="username" required>
  <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
  <p><button type="submit">Sign in</button></p>
</form><p>Try <code>alice</code> / <code>wonderland</code> or <code>bob</code> / <code>builder</code>.</p></section>`,
    );
  }
  const rows = devices
    .map(
      (
        d,
      ) => `<tr data-handle="${escapeHtml(d.handle)}"><td>${escapeHtml(d.userAgent || 'unknown client')}${d.current ? ' <span class="tag">this device</span>' : ''}</td>
<td>${escapeHtml(d.ip || '—')}</td><td>${time(d.createdAt)}</td><td>${time(d.lastSeenAt)}</td>
<td>${d.current ? '' : `<form data-api="/api/sessions/${encodeURIComponent(d.handle)}" data-method="DELETE"><button class="danger" type="submit">Revoke</button></form>`}</td></tr>`,
    )
    .join('\n');
  return layout(
    'Your account — Tessera demo',
    csrf,
    `<section><p>Signed in as <strong id="user">${escapeHtml(session.userId)}</strong>. Session expires (idle) at ${time(session.expiresAt)}, at the latest ${time(session.absoluteExpiresAt)}.</p>
<div class="row"><span class="counter" id="counter">${escapeHtml(session.get('counter') ?? 0)}</span>
<form id="count" data-api="/api/counter"><button type="submit">Count</button></form></div></section>
<section><h2>Your devices</h2>
<table id="devices"><thead><tr><th>Device</th><th>IP</th><th>Signed in</th><th>Last seen</th><th></th></tr></thead><tbody>
${rows}
</tbody></table>
<div class="row actions"><form id="revoke-others" data-api="/api/sessions/revoke-others"><button class="secondary" type="submit">Log out other devices</button></form>
<form id="logout" data-api="/api/logout"><button class="secondary" type="submit">Log out</button></form></div></section>`,
  );
}
