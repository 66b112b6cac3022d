/**
 * Hold the response until the session is committed. Every byte Node sends goes through
 * `writeHead`, `write`, `end` or `flushHeaders` (`res.json`, `res.redirect`, `res.sendFile`
 * and piped streams all end there), so the first call to any of them starts the commit and
 * is queued with any that follow; once the commit settled, the queue replays in order.
 * Nothing reaches the socket before the Set-Cookie is on the response.
 *
 * While held, the response behaves as if its headers had gone out with that first call, as
 * they would have without us: the status and headers are the ones it had then (later
 * changes are undone before the replay), a `writeHead` after it and anything after `end` are
 * dropped (their callbacks get an error). So a second response, such as Express's final
 * handler answering a throw that followed `res.json()`, cannot replay a second `end` (which
 * Node reports as an unhandled 'error' event: the process exits). The session's headers go
 * on last, so a `writeHead(status, headers)` cannot replace its Set-Cookie or
 * `Cache-Control: no-store`.
 */
import { type OutgoingHttpHeaders, ServerResponse } from 'node:http';

const METHODS = ['writeHead', 'write', 'end', 'flushHeaders'] as const;
type Method = (typeof METHODS)[number];
type Fn = (this: ServerResponse, ...args: unknown[]) => unknown;

/** The headers the session adds: set-cookie lines are appended, the others set. */
export type SessionHeaders = Iterable<readonly [name: string, value: string]>;

interface Sent {
  readonly statusCode: number;
  readonly statusMessage: string;
}

/**
 * The hold lives on the response under a symbol, not in a WeakMap: a Hold reaches back to its
 * response, and such a WeakMap entry is an ephemeron V8 re-walks in every GC (the same cost
 * the adapters' per-request entry avoids, see `adapterEntry` in the core).
 */
const HOLD = Symbol('tessera.hold');
type Holding = { [HOLD]?: Hold };
const holdOf = (res: object): Hold | undefined => (res as Holding)[HOLD];

/**
 * Whether `res` has been answered: its headers went out, or it was ended while held for the
 * commit (`headersSent` is still false then). An error handler that finds it true must not
 * answer (the gate would drop it anyway) but log.
 */
export function responseSent(res: ServerResponse): boolean {
  return res.headersSent || holdOf(res)?.ended === true;
}

/** One held response's state. */
class Hold {
  readonly queue: [Method, Fn, unknown[]][] = [];
  state: 'open' | 'committing' | 'done' = 'open';
  sent: Sent | undefined;
  /**
   * The headers as they were at the first call, copied only when a header method is called
   * while held (copy on write): most responses change none after their first byte, and then
   * there is nothing to copy or put back.
   */
  headers: OutgoingHttpHeaders | undefined;
  ended = false;

  constructor(
    readonly res: ServerResponse,
    readonly commit: () => Promise<SessionHeaders>,
    readonly onFailure: (error: unknown) => void,
  ) {}

  /** A call of `method` (Node's `original`) on the held response. */
  call(method: Method, original: Fn, self: ServerResponse, args: unknown[]): unknown {
    const res = this.res;
    if (this.state === 'done' && !res.writableEnded) return original.apply(self, args);
    // What Node refuses once headers are out: a second writeHead, anything after end (after
    // the replay too: Node would emit an 'error' event nobody listens to).
    if (this.ended || (method === 'writeHead' && this.sent) || this.state === 'done') {
      refuse(args);
      return method === 'write' ? false : self;
    }
    this.sent ??= { statusCode: res.statusCode, statusMessage: res.statusMessage };
    if (method === 'end') this.ended = true;
    this.queue.push([method, original, args]);
    if (this.state === 'open') {
      this.state = 'committing';
      this.commit().then(
        (headers) => this.settle(headers),
        (error: unknown) => {
          this.state = 'done';
          // Nothing was sent yet: drop the handler's response for the error one.
          this.onFailure(error);
        },
      );
    }
    // write() answers "keep writing"; the others answer the response, for chaining.
    return method === 'write' ? true : self;
  }

  /**
   * Before `setHeader`, `removeHeader`, `appendHeader`; true: the call must do nothing. A
   * second responder that decided to answer while the response was held (it saw
   * `headersSent` false) may come back after the replay: Express's final handler waits for
   * an unread request body, then sets headers. Node throws ERR_HTTP_HEADERS_SENT there, from
   * an event callback: the process would exit. Once the response has ended, such calls do
   * nothing. While held, the first such call copies the headers (see `headers`).
   */
  beforeHeaderChange(self: ServerResponse): boolean {
    if (this.ended && self.writableEnded && self.headersSent) return true;
    // A change while held: keep what the headers were, to put them back before the replay.
    if (this.state === 'committing' && this.headers === undefined) this.headers = self.getHeaders();
    return false;
  }

  settle(headers: SessionHeaders): void {
    const res = this.res;
    this.state = 'done';
    restore(res, this.sent!, this.headers);
    const first = this.queue[0]!;
    if (first[0] === 'writeHead') first[2] = applyWriteHeadHeaders(res, first[2]);
    for (const [name, value] of headers) {
      if (name === 'set-cookie') res.appendHeader(name, value);
      else res.setHeader(name, value);
    }
    for (const [, fn, args] of this.queue.splice(0)) {
      try {
        fn.apply(res, args);
      } catch (error) {
        // A replayed call Node refuses would have thrown in the handler; it has returned.
        res.destroy(error instanceof Error ? error : undefined);
        return;
      }
    }
  }
}

/** Whether `res` is held for a commit (now or earlier in its life). */
export function responseHeld(res: ServerResponse): boolean {
  return holdOf(res) !== undefined;
}

/**
 * Install the hold: `res` gets it under a symbol, and the methods that consult it are where
 * no framework can step around them.
 *
 * For a Node `ServerResponse` they are on `ServerResponse.prototype` itself, put there once
 * per process (passing straight through for a response with no hold): Express gives a
 * response its app's prototype, and a mounted sub-app swaps in its own when the request
 * enters it, so a held prototype given to the instance would be dropped there and a change
 * made before the sub-app answered never committed. Every such prototype still ends at
 * `ServerResponse.prototype`. It also costs less per request than giving the instance a
 * prototype: once Express has swapped an object's prototype, V8 makes a new hidden class for
 * every property added to it or prototype given to it (~4 µs each, measured), and the hold is
 * now the only one.
 *
 * When something in the response's chain above `ServerResponse.prototype` has its own
 * version of one of these methods (it might not call down), or the response is not a
 * `ServerResponse`, the instance gets a prototype over its own that does it, as before; and
 * when some middleware already put its own `end` (or another of these) on the instance, as
 * compression and on-headers do, the instance's methods are wrapped, as they are.
 */
export function holdUntilCommitted(
  res: ServerResponse,
  commit: () => Promise<SessionHeaders>,
  onFailure: (error: unknown) => void,
): void {
  const hold = new Hold(res, commit, onFailure);
  (res as Holding)[HOLD] = hold;
  if (WRAPPED.some((m) => Object.hasOwn(res, m))) wrapInstance(res, hold);
  else if (!reachesBaseMethods(Object.getPrototypeOf(res) as object | null)) {
    Object.setPrototypeOf(res, heldPrototypeOf(Object.getPrototypeOf(res) as object));
  } else if (!baseHeld) holdBaseMethods();
}

const HEADER_METHODS = ['setHeader', 'removeHeader', 'appendHeader'] as const;
const WRAPPED = [...METHODS, ...HEADER_METHODS];
type HeaderMethod = (typeof HEADER_METHODS)[number];
type Methods = Record<Method | HeaderMethod, Fn>;

/**
 * Methods on `target` that consult the hold of `this`, else call `base`'s (looked up at the
 * call, so a method patched on `base` later is the one called).
 */
function defineHeldMethods(target: object, base: Methods): void {
  const define = (name: string, fn: Fn) =>
    Object.defineProperty(target, name, { value: fn, writable: true, configurable: true, enumerable: false });
  for (const method of METHODS) {
    define(method, function (this: ServerResponse, ...args: unknown[]) {
      const hold = holdOf(this);
      return hold ? hold.call(method, base[method], this, args) : base[method].apply(this, args);
    });
  }
  for (const method of HEADER_METHODS) {
    define(method, function (this: ServerResponse, ...args: unknown[]) {
      return holdOf(this)?.beforeHeaderChange(this) ? this : base[method].apply(this, args);
    });
  }
}

let baseHeld = false;

/** Once per process (per copy of this module): the held methods on `ServerResponse.prototype`. */
function holdBaseMethods(): void {
  const proto = ServerResponse.prototype;
  // Node's own: `writeHead` from ServerResponse.prototype (kept here, it is about to be
  // replaced), the rest from OutgoingMessage.prototype (still looked up there).
  const base = Object.create(Object.getPrototypeOf(proto) as object) as Methods;
  for (const m of WRAPPED) if (Object.hasOwn(proto, m)) base[m] = (proto as unknown as Methods)[m];
  defineHeldMethods(proto, base);
  baseHeld = true;
}

/** Per prototype a response has: whether its calls of these methods reach `ServerResponse.prototype`'s. */
const reachesBase = new WeakMap<object, boolean>();

function reachesBaseMethods(proto: object | null): boolean {
  if (proto === null) return false;
  let known = reachesBase.get(proto);
  if (known === undefined) {
    known = false;
    for (let p: object | null = proto; p !== null; p = Object.getPrototypeOf(p) as object | null) {
      if (p === ServerResponse.prototype) {
        known = true;
        break;
      }
      if (WRAPPED.some((m) => Object.hasOwn(p as object, m))) break;
    }
    reachesBase.set(proto, known);
  }
  return known;
}

const heldPrototypes = new WeakMap<object, object>();

function heldPrototypeOf(proto: object): object {
  let held = heldPrototypes.get(proto);
  if (held) return held;
  held = Object.create(proto) as object;
  defineHeldMethods(held, proto as Methods);
  heldPrototypes.set(proto, held);
  return held;
}

/**
 * The wrappers stay in place afterwards (passing straight through) rather than being
 * removed, so middleware that wrapped these methods before or after us keeps working.
 */
function wrapInstance(res: ServerResponse, hold: Hold): void {
  const target = res as unknown as Record<Method | HeaderMethod, Fn>;
  for (const method of METHODS) {
    const original = target[method];
    target[method] = function (this: ServerResponse, ...args: unknown[]) {
      return hold.call(method, original, this, args);
    };
  }
  for (const method of HEADER_METHODS) {
    const original = target[method];
    target[method] = function (this: ServerResponse, ...args: unknown[]) {
      return hold.beforeHeaderChange(this) ? this : original.apply(this, args);
    };
  }
}

/**
 * Status and headers back to what they were when the first byte would have gone (`headers`:
 * the copy taken at the first header change while held; none, none changed).
 */
function restore(res: ServerResponse, sent: Sent, headers: OutgoingHttpHeaders | undefined): void {
  if (res.statusCode !== sent.statusCode) res.statusCode = sent.statusCode;
  if (res.statusMessage !== sent.statusMessage) res.statusMessage = sent.statusMessage;
  if (headers === undefined) return;
  for (const name of res.getHeaderNames()) if (!(name in headers)) res.removeHeader(name);
  // getHeaders() hands out the values themselves: an unchanged header is the same value, and
  // setting it again (Node validates every name and value) is skipped.
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && res.getHeader(name) !== value) res.setHeader(name, value);
}

/**
 * `writeHead(status, [message], [headers])`: put its headers on the response now, so the
 * session's go on top, and return the arguments without them.
 */
function applyWriteHeadHeaders(res: ServerResponse, args: unknown[]): unknown[] {
  const headersAt = typeof args[1] === 'string' ? 2 : 1;
  const headers = args[headersAt];
  if (headers === undefined || headers === null) return args;
  if (Array.isArray(headers)) {
    // Either [[name, value], ...] or the raw [name, value, name, value, ...].
    const pairs = Array.isArray(headers[0])
      ? (headers as [string, string][])
      : Array.from({ length: headers.length / 2 }, (_, i) => [headers[2 * i], headers[2 * i + 1]]);
    for (const [name, value] of pairs) res.appendHeader(String(name), value as string);
  } else {
    for (const [name, value] of Object.entries(headers as OutgoingHttpHeaders)) {
      if (value !== undefined) res.setHeader(name, value);
    }
  }
  return args.slice(0, headersAt);
}

/** A refused call's callback (write(chunk, cb), end(cb)) hears about it, as from Node. */
function refuse(args: unknown[]): void {
  const callback = args.findLast((a) => typeof a === 'function') as ((error: Error) => void) | undefined;
  if (callback) process.nextTick(callback, new Error('write after end: the response was already sent'));
}
