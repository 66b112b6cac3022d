/**
 * What a test client needs to act like a browser over `fetch`: a cookie jar that keeps what
 * the server sets (and drops what it expires), and is a Map of name to value for tests that
 * plant or inspect cookies; and the answer's body parsed by its type.
 */
export class CookieJar extends Map<string, string> {
  /** The `Cookie` header to send, or undefined when the jar is empty. */
  header(): string | undefined {
    return this.size ? [...this].map(([k, v]) => `${k}=${v}`).join('; ') : undefined;
  }

  /** Keep the response's Set-Cookie lines; `Max-Age=0` removes a cookie. Answers the lines. */
  absorb(res: Response): string[] {
    const lines = res.headers.getSetCookie();
    for (const line of lines) {
      const pair = line.split(';')[0] ?? '';
      const eq = pair.indexOf('=');
      if (/Max-Age=0/i.test(line)) this.delete(pair.slice(0, eq));
      else this.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return lines;
  }
}

/** The body as JSON when the response says so, else as text ('' when empty). */
export async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  return text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
}
