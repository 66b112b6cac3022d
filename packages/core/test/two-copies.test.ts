/**
 * Two copies of the core side by side (issue #15, "Package boundaries"): when a store or an
 * adapter resolved its own copy (the core was a dependency, not a peer), a `SessionError` from
 * copy B was a 500 to copy A (`instanceof`), and copy A's guards reported that the middleware
 * had not run (the adapter entry was a plain `Symbol()`). Copy B here is the same source
 * evaluated a second time, as Node would load a second installed version.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import * as A from '../src/index.js';

type Core = typeof A;
let B: Core;

beforeAll(async () => {
  vi.resetModules();
  B = await import('../src/index.js');
  // The premise: two module instances, two distinct classes.
  expect(B.SessionError).not.toBe(A.SessionError);
});

function request(method = 'POST') {
  return { method, header: () => undefined, ip: '203.0.113.9', selfOrigin: 'https://app.test' };
}

describe('two copies of the core', () => {
  it("copy B's SessionError is a SessionError to copy A: its status, not a 500", () => {
    const error: unknown = new B.SessionError('session_limit', 'at the cap');
    expect(A.isSessionError(error)).toBe(true);
    expect(A.isSessionError(error, 'session_limit')).toBe(true);
    expect(A.isSessionError(error, 'csrf')).toBe(false);
    // instanceof too: NestJS `@Catch(SessionError)` and apps filter by class.
    expect(error instanceof A.SessionError).toBe(true);
    if (!A.isSessionError(error)) throw new Error('unreachable');
    expect(A.httpStatusOf(error.code)).toBe(409);
    expect(A.errorBodyOf(error)).toEqual({ error: 'session_limit' });
  });

  it('a look-alike without the brand, or with a code the core does not know, is not one', () => {
    const lookalike = Object.assign(new Error('x'), { name: 'SessionError', code: 'csrf' });
    expect(A.isSessionError(lookalike)).toBe(false);
    expect(lookalike instanceof A.SessionError).toBe(false);
    const unknownCode = new B.SessionError('csrf', 'x');
    (unknownCode as { code: string }).code = 'toString';
    expect(A.isSessionError(unknownCode)).toBe(false);
    expect(A.isSessionError(null)).toBe(false);
    expect(A.isSessionError('SessionError')).toBe(false);
  });

  it('a subclass keeps the ordinary instanceof', () => {
    class Custom extends A.SessionError {}
    const custom = new Custom('forbidden', 'no');
    expect(custom instanceof Custom).toBe(true);
    expect(custom instanceof A.SessionError).toBe(true);
    expect(new A.SessionError('forbidden', 'no') instanceof Custom).toBe(false);
    expect(new B.SessionError('forbidden', 'no') instanceof Custom).toBe(false);
  });

  it("copy A's guards find the adapter entry copy B's middleware set", async () => {
    const manager = B.createSessionManager({ store: new B.MemoryStore({ warnInProduction: false }) });
    const rs = await manager.begin(request('GET'));
    const owner = {};
    const entry = { verifyCsrf: () => rs.checkCsrf(), csrfEnforced: true, manager, ip: null };
    B.adapterEntry.set(owner, entry);
    expect(A.adapterEntry.get(owner)).toBe(entry);
  });

  it("a store on copy B refusing an oversized record is 413 to copy A's manager, not a store outage", async () => {
    class RefusingStore extends A.MemoryStore {
      override create(): Promise<boolean> {
        return Promise.reject(new B.SessionError('session_too_large', 'over maxDataBytes'));
      }
    }
    const manager = A.createSessionManager({ store: new RefusingStore({ warnInProduction: false }) });
    const rs = await manager.begin(request());
    rs.session.set('note', 'x');
    const error = await rs.commit().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(A.isSessionError(error, 'session_too_large')).toBe(true);
  });
});
