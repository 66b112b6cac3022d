/**
 * The CSRF token from a form field, for browsers posting a plain HTML form (no header).
 * Reading a body is the one place the session layer could be made to buffer without bound,
 * so it reads only a form whose `Content-Length` is known and at most `maxFormBytes`; a
 * larger, chunked or unparsable body yields no token (the check then answers 403) and is
 * never read. Web-standard only (URLSearchParams, Response#formData).
 */
import type { ResolvedCsrf } from './policy.js';

/** Where the session middleware finds a form body; each adapter gives its framework's way. */
export interface CsrfFormSource {
  /**
   * A body a parser of the app already read (Express `req.body`, Koa `ctx.request.body`,
   * Nest's parsed body), or undefined when none ran. Its field is used as it is.
   */
  parsed?(): unknown;
  /**
   * The raw body, `length` bytes (its `Content-Length`, at most `maxFormBytes`). It must stay
   * readable for the app afterwards (Hono caches it; the Node adapters put the bytes back).
   * Absent when the adapter cannot read bodies itself.
   */
  read?(length: number): Promise<ArrayBuffer | Uint8Array>;
}

const URLENCODED_RE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i;
const MULTIPART_RE = /^multipart\/form-data\s*;/i;
const LENGTH_RE = /^\d{1,15}$/;

type Header = (name: string) => string | undefined;

/** The form field `csrf.fieldName` of this request's body, or null (no form, too large, unreadable). */
export async function readFormToken(
  header: Header,
  csrf: ResolvedCsrf,
  source: CsrfFormSource,
): Promise<string | null> {
  const parsed = source.parsed?.();
  if (parsed !== undefined && parsed !== null) {
    // The app's parser consumed the body: its field, or nothing (the bytes are gone).
    const field =
      typeof parsed === 'object' ? (parsed as Record<string, unknown>)[csrf.fieldName] : undefined;
    return typeof field === 'string' ? field : null;
  }
  const type = header('content-type') ?? '';
  const urlencoded = URLENCODED_RE.test(type);
  if (!urlencoded && !MULTIPART_RE.test(type)) return null;
  // Chunked bodies have no length to bound in advance; a length over the limit is not read.
  if (header('transfer-encoding') !== undefined || !source.read) return null;
  const lengthText = header('content-length')?.trim() ?? '';
  if (!LENGTH_RE.test(lengthText)) return null;
  const length = Number(lengthText);
  if (length === 0 || length > csrf.maxFormBytes) return null;
  try {
    const bytes = await source.read(length);
    if (urlencoded) {
      const text = new TextDecoder().decode(bytes);
      return new URLSearchParams(text).get(csrf.fieldName);
    }
    // A copy into a plain ArrayBuffer-backed view: what every runtime's Response accepts.
    const form = await new Response(new Uint8Array(bytes), { headers: { 'content-type': type } }).formData();
    const field = form.get(csrf.fieldName);
    return typeof field === 'string' ? field : null;
  } catch {
    // A malformed multipart body, an aborted upload: no token, so a 403, never a 500.
    return null;
  }
}
