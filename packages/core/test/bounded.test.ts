/**
 * Sessions are bounded (issue #13 item 2): one anonymous client built a 4 MB session (4,000
 * notes of 1,000 characters) and 32 parallel reads of it stalled a shared Redis. Now a write
 * past `maxDataBytes` or `maxKeys` is `session_too_large` (413) and writes nothing: in set(),
 * again at commit, and in the store, which sees what concurrent requests add together.
 */
import { describe, expect, it } from 'vitest';
import { instrumentStore } from '../../testing/src/instrumented-store.js';
import {
  createSessionManager,
  DEFAULT_POLICY,
  errorBodyOf,
  httpStatusOf,
  isSessionError,
  ManualClock,
  MemoryStore,
  type ResponseHeaders,
  resolvePolicy,
  type SessionEvent,
  type SessionManagerOptions,
} from '../src/index.js';

function request(cookie?: string, method = 'POST') {
  return {
    method,
    header: (name: string) => (name === 'cookie' ? cookie : undefined),
    ip: '203.0.113.9',
    selfOrigin: 'https://app.test',
  };
}

function sessionCookie(headers: ResponseHeaders): string | undefined {
  return headers.find(([k, v]) => k === 'set-cookie' && v.startsWith('__Host-sid='))?.[1]?.split(';')[0];
}

function setup(
  options: Partial<SessionManagerOptions> = {},
  store = new MemoryStore({ warnInProduction: false }),
) {
  const clock = new ManualClock();
  const counted = instrumentStore(store);
  const events: SessionEvent[] = [];
  const base = { store: counted, clock, onEvent: (e: SessionEvent) => events.push(e) };
  const manager = createSessionManager({ ...base, ...options });
  const create = async (data: Record<string, unknown>) => {
    const rs = await manager.begin(request());
    for (const [k, v] of Object.entries(data)) rs.session.set(k, v);
    return sessionCookie(await rs.commit())!;
  };
  const read = async (cookie: string) => (await manager.begin(request(cookie, 'GET'))).session.toJSON();
  /** Another manager (another policy) on the same store and clock. */
  const other = (more: Partial<SessionManagerOptions>) => createSessionManager({ ...base, ...more });
  return { clock, store: counted, events, manager, create, read, other };
}

/** The SessionError `fn` threw. */
function thrown(fn: () => unknown): { code: string } {
  try {
    fn();
  } catch (error) {
    if (isSessionError(error)) return error;
    throw error;
  }
  throw new Error('did not throw');
}

describe('bounded session data', () => {
  it('defaults: 64 KiB and 256 keys; a refusal is 413 { error: "session_too_large" }', () => {
    expect(DEFAULT_POLICY).toMatchObject({ maxDataBytes: 65_536, maxKeys: 256 });
    expect(resolvePolicy()).toMatchObject({ maxDataBytes: 65_536, maxKeys: 256 });
    expect(httpStatusOf('session_too_large')).toBe(413);
    const { manager } = setup();
    return manager.begin(request()).then((rs) => {
      const error = thrown(() => rs.session.set('big', 'x'.repeat(65_536)));
      expect(error.code).toBe('session_too_large');
      expect(errorBodyOf(error as never)).toEqual({ error: 'session_too_large' });
    });
  });

  it.each([
    [{ maxDataBytes: 0 }],
    [{ maxDataBytes: -1 }],
    [{ maxDataBytes: 1.5 }],
    [{ maxDataBytes: Number.NaN }],
    [{ maxDataBytes: Number.POSITIVE_INFINITY }],
    [{ maxKeys: 0 }],
    [{ maxKeys: '256' as unknown as number }],
  ])('refuses the policy %j at start-up', (options) => {
    expect(() => resolvePolicy(options)).toThrow(expect.objectContaining({ code: 'invalid_config' }));
  });

  it('a value past maxDataBytes is refused in set(): not taken, and nothing is written', async () => {
    const { manager, store, create, read } = setup({ maxDataBytes: 1_000 });
    const fresh = await manager.begin(request());
    expect(thrown(() => fresh.session.set('note', 'x'.repeat(2_000))).code).toBe('session_too_large');
    expect(fresh.session.has('note')).toBe(false);
    expect(await fresh.commit()).toEqual([]);
    expect(store.total()).toBe(0);

    const cookie = await create({ a: 1 });
    store.reset();
    const rs = await manager.begin(request(cookie));
    rs.session.set('b', 'y'.repeat(500));
    expect(thrown(() => rs.session.set('b', 'y'.repeat(1_000))).code).toBe('session_too_large');
    // The refused call changed nothing: the earlier value of `b` stands.
    expect(rs.session.get('b')).toBe('y'.repeat(500));
    await rs.commit();
    expect(await read(cookie)).toEqual({ a: 1, b: 'y'.repeat(500) });
  });

  it('counts the UTF-8 bytes of each key and its JSON text: exactly at the limit passes, one byte more does not', async () => {
    // Key "ké" is 3 bytes; the text "\"ééé\"" is 8: 11 bytes in all.
    const at = await setup({ maxDataBytes: 11 }).manager.begin(request());
    at.session.set('ké', 'ééé');
    const over = await setup({ maxDataBytes: 10 }).manager.begin(request());
    expect(thrown(() => over.session.set('ké', 'ééé')).code).toBe('session_too_large');
  });

  it('maxKeys: a new key past it is refused, a key already there can still change', async () => {
    const { manager } = setup({ maxKeys: 3 });
    const rs = await manager.begin(request());
    for (const k of ['a', 'b', 'c']) rs.session.set(k, 1);
    expect(thrown(() => rs.session.set('d', 1)).code).toBe('session_too_large');
    rs.session.set('a', 2);
    rs.session.delete('b');
    rs.session.set('d', 1);
    expect(rs.session.keys()).toEqual(['a', 'c', 'd']);
  });

  it('a session over a lowered limit: a read writes nothing, set() and login are refused, delete() shrinks it', async () => {
    const { create, other, store, read } = setup();
    const cookie = await create(
      Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'v'.repeat(90)])),
    );
    // Login carries the ten keys (listed: nothing is carried by default).
    const strict = other({
      maxDataBytes: 500,
      keepDataOnLogin: Array.from({ length: 10 }, (_, i) => `k${i}`),
    });
    store.reset();
    const reader = await strict.begin(request(cookie, 'GET'));
    expect(reader.session.keys()).toHaveLength(10);
    expect(await reader.commit()).toEqual([]);
    expect(store.counts).toMatchObject({ load: 1, update: 0 });

    // Login writes the whole record (rotate): the commit's own check refuses it, set() never ran.
    const login = await strict.begin(request(cookie));
    await expect(login.session.login('alice')).rejects.toMatchObject({ code: 'session_too_large' });
    expect(store.counts.rotate).toBe(0);
    expect(login.session.keys()).toHaveLength(10);

    const rs = await strict.begin(request(cookie));
    expect(thrown(() => rs.session.set('k0', 'small')).code).toBe('session_too_large');
    for (let i = 0; i < 6; i++) rs.session.delete(`k${i}`);
    rs.session.set('k0', 'small');
    await rs.commit();
    expect(Object.keys(await read(cookie)).sort()).toEqual(['k0', 'k6', 'k7', 'k8', 'k9']);
  });

  it('what two requests add together is refused by the store at commit: 413, no store-error, the first write kept', async () => {
    const { manager, create, read, events, store } = setup(
      { maxDataBytes: 1_000 },
      new MemoryStore({ warnInProduction: false, maxDataBytes: 1_000 }),
    );
    const cookie = await create({ seed: 1 });
    const [first, second] = await Promise.all([
      manager.begin(request(cookie)),
      manager.begin(request(cookie)),
    ]);
    first.session.set('a', 'x'.repeat(600));
    second.session.set('b', 'y'.repeat(600));
    await first.commit();
    store.reset();
    await expect(second.commit()).rejects.toMatchObject({ code: 'session_too_large' });
    expect(events.filter((e) => e.type === 'store-error')).toEqual([]);
    expect(await read(cookie)).toEqual({ seed: 1, a: 'x'.repeat(600) });
    // The refused commit kept its change pending: the handler may shrink it and commit again.
    second.session.set('b', 'small');
    await second.commit();
    expect(await read(cookie)).toEqual({ seed: 1, a: 'x'.repeat(600), b: 'small' });
  });

  it('the manager refuses at start-up a policy above the store limits', () => {
    const store = new MemoryStore({ warnInProduction: false, maxDataBytes: 4_096, maxKeys: 16 });
    expect(() => createSessionManager({ store, maxDataBytes: 8_192, maxKeys: 16 })).toThrow(
      expect.objectContaining({ code: 'invalid_config', message: expect.stringMatching(/maxDataBytes/) }),
    );
    expect(() => createSessionManager({ store, maxDataBytes: 4_096, maxKeys: 17 })).toThrow(/maxKeys/);
    // The default policy (64 KiB) is above this store's 4 KiB too: it must be lowered explicitly.
    expect(() => createSessionManager({ store })).toThrow(/maxDataBytes/);
    expect(() => createSessionManager({ store, maxDataBytes: 4_096, maxKeys: 16 })).not.toThrow();
  });
});
