/**
 * Read a Node request body and put it back, for the Node adapters' CSRF form check
 * (`CsrfFormSource.read`): the session middleware runs before the app's body parser, which
 * must still find every byte. Typed structurally (no `node:` import), so the core stays
 * web-standard; only the Node adapters call it.
 *
 * How: pull `length` bytes in paused mode, then `unshift` them back before the stream can
 * emit 'end' (Node emits it on a later tick, and only when its buffer is still empty), so a
 * parser that reads the request afterwards (body-parser, co-body) sees an untouched stream.
 */

/** The part of a Node `Readable` (an `IncomingMessage`) this uses. */
export interface NodeReadableBody {
  read(): unknown;
  unshift(chunk: Uint8Array): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
  readonly readableEnded?: boolean;
  readonly destroyed?: boolean;
}

/** Read exactly `length` bytes of `stream` and leave them in it for the next reader. */
export function peekBody(stream: NodeReadableBody, length: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    if (stream.readableEnded) {
      reject(new Error('the request body was already read'));
      return;
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    const done = (error: Error | null) => {
      stream.removeListener('readable', onReadable);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onError);
      stream.removeListener('close', onEnd);
      const bytes = concat(chunks, size);
      // Back in the stream, so the app's parser reads (and answers for) the body as sent.
      // Not after 'end' or a destroy: Node refuses an unshift then, with an 'error' event.
      if (size > 0 && !stream.readableEnded && !stream.destroyed) stream.unshift(bytes);
      if (error) reject(error);
      else resolve(bytes);
    };
    const onReadable = () => {
      while (size < length) {
        const chunk = stream.read();
        if (chunk === null) return;
        if (!(chunk instanceof Uint8Array)) return done(new Error('the request body is not bytes'));
        chunks.push(chunk);
        size += chunk.length;
      }
      done(size === length ? null : new Error('the request body is longer than its Content-Length'));
    };
    const onEnd = () => done(new Error('the request body ended before its Content-Length'));
    const onError = (error: unknown) => done(error instanceof Error ? error : new Error(String(error)));
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onEnd);
  });
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
