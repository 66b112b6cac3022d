/**
 * Failures are visible without configuration (issue #13.6): a store outage used to answer 503
 * and print nothing, its cause ("run migrate()") reaching only `onEvent`. Now the first
 * failure of an outage is logged once with its cause, the recovery once, nothing in between.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { instrumentStore } from '../../testing/src/instrumented-store.js';
import {
  createSessionManager,
  isSessionError,
  ManualClock,
  MemoryStore,
  SessionError,
  type SessionManagerOptions,
  type SessionStore,
} from '../src/index.js';

function setup(options: Partial<SessionManagerOptions> = {}) {
  const clock = new ManualClock();
  const store = instrumentStore(new MemoryStore({ warnInProduction: false }));
  const logger = { warn: vi.fn(), error: vi.fn() };
  const manager = createSessionManager({ store, clock, logger, storeTimeoutMs: 50, ...options });
  const request = (cookie?: string) => ({
    method: 'POST',
    header: (name: string) => (name === 'cookie' ? cookie : undefined),
  });
  const signIn = async () => {
    const rs = await manager.begin(request());
    await rs.session.login('alice');
    const line = (await rs.commit()).find(([k]) => k === 'set-cookie')![1];
    return line.split(';')[0]!;
  };
  /** A request with the cookie: answers 'ok' or the SessionError code it failed with. */
  const visit = async (cookie: string) => {
    try {
      await (await manager.begin(request(cookie))).commit();
      return 'ok';
    } catch (error) {
      return isSessionError(error) ? error.code : 'crash';
    }
  };
  return { clock, store, logger, manager, signIn, visit };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('store outages are logged once each way', () => {
  it('the first failure of an outage is logged with the store, the operation and the cause; the recovery once (issue #13.6)', async () => {
    const { store, logger, signIn, visit, clock } = setup();
    const cookie = await signIn();
    store.mode = 'reject';
    for (let i = 0; i < 5; i++) {
      expect(await visit(cookie)).toBe('store_unavailable');
      clock.advance(1_000);
    }
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error.mock.calls[0]).toEqual([
      expect.stringMatching(
        /^\[tessera\] \[memory\] load failed: store is down \(instrumented load\)\. .*503/,
      ),
    ]);
    expect(logger.warn).not.toHaveBeenCalled();
    store.mode = 'up';
    expect(await visit(cookie)).toBe('ok');
    expect(await visit(cookie)).toBe('ok');
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]).toEqual([
      '[tessera] [memory] the store answers again, after 5 failed calls over 5 s.',
    ]);
    // The next outage is news again.
    store.mode = 'reject';
    expect(await visit(cookie)).toBe('store_unavailable');
    expect(logger.error).toHaveBeenCalledTimes(2);
  });

  it('a store that does not answer is logged as such', async () => {
    const { store, logger, signIn, visit } = setup();
    const cookie = await signIn();
    store.mode = 'hang';
    expect(await visit(cookie)).toBe('store_unavailable');
    expect(logger.error.mock.calls[0]).toEqual([
      expect.stringMatching(/^\[tessera\] \[memory\] load did not answer within 50 ms\. /),
    ]);
  });

  it("a store's own store_unavailable keeps its hint and gains the driver's message as the cause", async () => {
    const cause = new Error('relation "tessera_sessions" does not exist');
    const inner = new MemoryStore({ warnInProduction: false });
    const broken: SessionStore = Object.assign(Object.create(inner) as SessionStore, {
      name: 'postgres',
      load: () =>
        Promise.reject(
          new SessionError(
            'store_unavailable',
            '[tessera] [postgres] query failed (42P01); the sessions table is missing: run migrate() first.',
            { cause },
          ),
        ),
    });
    const logger = { warn: vi.fn(), error: vi.fn() };
    const manager = createSessionManager({ store: broken, logger });
    const cookie = `__Host-sid=${'A'.repeat(43)}`;
    await expect(
      manager.begin({ method: 'GET', header: (n) => (n === 'cookie' ? cookie : undefined) }),
    ).rejects.toThrow(SessionError);
    expect(logger.error.mock.calls[0]![0]).toBe(
      '[tessera] [postgres] load: query failed (42P01); the sessions table is missing: run migrate() first ' +
        '(cause: relation "tessera_sessions" does not exist). Requests that need the store answer 503 until it recovers; ' +
        'further failures are not logged until then.',
    );
    expect(logger.error.mock.calls[0]![0]).not.toContain('A'.repeat(43));
  });

  it('without a logger option the outage goes to console; logger: false says nothing', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const byDefault = setup({ logger: undefined });
    const cookie = await byDefault.signIn();
    byDefault.store.mode = 'reject';
    await byDefault.visit(cookie);
    expect(error).toHaveBeenCalledTimes(1);
    byDefault.store.mode = 'up';
    await byDefault.visit(cookie);
    expect(warn).toHaveBeenCalledTimes(1);

    const silent = setup({ logger: false });
    const other = await silent.signIn();
    silent.store.mode = 'reject';
    expect(await silent.visit(other)).toBe('store_unavailable');
    silent.store.mode = 'up';
    expect(await silent.visit(other)).toBe('ok');
    expect(error).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('a throwing logger never fails a request, nor does one reporting a throwing listener', async () => {
    const throwing = () => {
      throw new Error('log sink down');
    };
    const { store, signIn, visit, manager } = setup({ logger: { warn: throwing, error: throwing } });
    manager.events.on('login', () => {
      throw new Error('audit sink down');
    });
    const cookie = await signIn();
    store.mode = 'reject';
    expect(await visit(cookie)).toBe('store_unavailable');
    store.mode = 'up';
    expect(await visit(cookie)).toBe('ok');
  });

  it('a throwing event listener is reported through the logger', async () => {
    const { logger, manager, signIn } = setup();
    manager.events.on('login', () => {
      throw new Error('audit sink down');
    });
    await signIn();
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error.mock.calls[0]![0]).toMatch(
      /^\[tessera\] an event listener threw: Error: audit sink down/,
    );
  });

  it.each([
    ['null', null],
    ['an object without methods', {}],
    ['warn only', { warn: () => {} }],
    ['a function', console.log],
    ['true', true],
  ])('logger %s is refused at start-up', (_, logger) => {
    expect(() =>
      createSessionManager({ store: new MemoryStore(), logger: logger as unknown as false }),
    ).toThrow(/logger must be false or have warn\(\) and error\(\)/);
  });
});
