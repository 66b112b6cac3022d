/** What only Nest has: async module options, guards and decorators, DI of the manager. */
import 'reflect-metadata';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Module,
  Post,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ManualClock,
  MemoryStore,
  SessionError,
  type SessionManager,
  type SessionStore,
} from '@tessera/session-core';
import { CookieJar, instrumentStore, readBody, sleep } from '@tessera/session-testing';
import type { Response } from 'express';
import type { FastifyReply } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  CurrentSession,
  RequireAuth,
  SESSION_MANAGER,
  Session,
  SessionGuard,
  SessionModule,
  SkipCsrf,
} from '../src/index.js';
import { listen, PLATFORMS } from './app.js';

type Data = { counter: number; roles: string[] };

/** What `@Res()` injects: Express's response, or Fastify's reply on Nest's Fastify platform. */
type AnyResponse = Response | FastifyReply;
const isReply = (res: AnyResponse): res is FastifyReply => 'hijack' in res;
const raw = {
  redirect303(res: AnyResponse, url: string): void {
    if (isReply(res)) void res.redirect(url, 303);
    else res.redirect(303, url);
  },
  json(res: AnyResponse, body: unknown): void {
    if (isReply(res)) void res.send(body);
    else res.json(body);
  },
  /** Headers out, body still open. */
  writePartial(res: AnyResponse, text: string): void {
    if (!isReply(res)) return void res.status(200).type('text/plain').write(text);
    res.hijack();
    res.raw.setHeader('content-type', 'text/plain');
    res.raw.write(text);
  },
};

/** Cookies by hand over fetch, and the CSRF token from GET /me. */
class Client {
  readonly jar = new CookieJar();
  csrf = '';
  constructor(readonly base: string) {}
  async send(method: string, path: string, json?: unknown, headers: Record<string, string> = {}) {
    const h: Record<string, string> = { ...headers };
    const cookie = this.jar.header();
    if (cookie) h.cookie = cookie;
    if (method !== 'GET' && this.csrf) h['x-csrf-token'] ??= this.csrf;
    if (json !== undefined) h['content-type'] = 'application/json';
    const res = await fetch(this.base + path, {
      method,
      headers: h,
      body: json === undefined ? undefined : JSON.stringify(json),
      redirect: 'manual',
    });
    this.jar.absorb(res);
    // A response that changed the session's token hands over its new CSRF token.
    this.csrf = res.headers.get('x-csrf-token') ?? this.csrf;
    return { status: res.status, body: await readBody(res), headers: res.headers };
  }
  async me() {
    const r = await this.send('GET', '/me');
    this.csrf = (r.body as { csrfToken: string }).csrfToken;
    return r.body as { userId: string | null; counter: number | null };
  }
}

@Controller()
class MeController {
  constructor(@Inject(SESSION_MANAGER) private readonly manager: SessionManager<Data>) {}

  @Get('me')
  me(@CurrentSession() session: Session<Data>) {
    const counter = session.get('counter');
    expectTypeOf(counter).toEqualTypeOf<number | undefined>();
    // @ts-expect-error: typed data refuses a wrong value type
    if (counter === -1) session.set('counter', 'x');
    return { userId: session.userId, counter: counter ?? null, csrfToken: session.csrfToken };
  }

  @Post('count')
  @HttpCode(204)
  count(@CurrentSession() session: Session<Data>): void {
    session.set('counter', (session.get('counter') ?? 0) + 1);
  }

  @Post('login')
  @HttpCode(204)
  async login(@CurrentSession() session: Session<Data>, @Body() body: { userId: string; roles?: string[] }) {
    await session.login(body.userId);
    if (body.roles) session.set('roles', body.roles);
  }

  /** A raw Express redirect: the hold on the response, not Nest, keeps it behind the commit. */
  @Post('login-raw')
  async loginRaw(
    @CurrentSession() session: Session<Data>,
    @Body() body: { userId: string },
    @Res() res: AnyResponse,
  ) {
    await session.login(body.userId);
    raw.redirect303(res, '/me');
  }

  @Post('hook')
  @SkipCsrf()
  @HttpCode(204)
  hook(): void {}

  @Get('count-users')
  async users() {
    return { sessions: (await this.manager.listSessions('ada')).length };
  }
}

@Controller('account')
@UseGuards(SessionGuard)
class AccountController {
  @Get()
  show(@CurrentSession() session: Session<Data>) {
    return { userId: session.userId };
  }

  @Post('password')
  @HttpCode(204)
  @RequireAuth<Data>({ maxAuthAgeMs: 5 * 60_000 })
  password(): void {}

  @Get('admin')
  @RequireAuth<Data>({ check: (s) => s.get('roles')?.includes('admin') ?? false })
  admin() {
    return { ok: true };
  }
}

const CONFIG = Symbol('config');
interface Config {
  readonly store: SessionStore;
  readonly clock: ManualClock;
  readonly idleTimeoutMs: number;
}

class ClosableStore extends MemoryStore {
  closed = 0;
  async close(): Promise<void> {
    this.closed++;
  }
}

@Injectable()
class ConfigService implements Config {
  readonly store = new ClosableStore({ warnInProduction: false });
  readonly clock = new ManualClock(Date.now());
  readonly idleTimeoutMs = 10 * 60_000;
}

@Module({ providers: [ConfigService, { provide: CONFIG, useExisting: ConfigService }], exports: [CONFIG] })
class ConfigModule {}

describe.each(PLATFORMS)('SessionModule.forRootAsync with an injected config provider (%s)', (platform) => {
  let server: Awaited<ReturnType<typeof listen>>;
  let config: ConfigService;

  beforeAll(async () => {
    server = await listen(
      {
        imports: [
          SessionModule.forRootAsync({
            imports: [ConfigModule],
            inject: [CONFIG],
            useFactory: (c: Config) => ({ store: c.store, clock: c.clock, idleTimeoutMs: c.idleTimeoutMs }),
          }),
        ],
        controllers: [MeController, AccountController],
      },
      {},
      platform,
    );
    config = server.app.get(ConfigService);
  });
  afterAll(() => server?.close());

  it('builds the manager from the injected config and exports it under SESSION_MANAGER', () => {
    const manager = server.app.get<SessionManager>(SESSION_MANAGER);
    expect(manager.policy.idleTimeoutMs).toBe(10 * 60_000);
    expect(manager.store).toBe(config.store);
  });

  it('@CurrentSession() gives the typed handle; writes persist across requests', async () => {
    const c = new Client(server.url);
    expect(await c.me()).toMatchObject({ userId: null, counter: null });
    expect((await c.send('POST', '/count')).status).toBe(204);
    expect((await c.send('POST', '/count')).status).toBe(204);
    expect(await c.me()).toMatchObject({ counter: 2 });
  });

  it('@UseGuards(SessionGuard) on a controller: 401 unauthenticated, then 200', async () => {
    const c = new Client(server.url);
    const anon = await c.send('GET', '/account');
    expect(anon).toMatchObject({ status: 401, body: { error: 'unauthenticated' } });
    await c.me();
    expect((await c.send('POST', '/login', { userId: 'ada' })).status).toBe(204);
    expect(await c.send('GET', '/account')).toMatchObject({ status: 200, body: { userId: 'ada' } });
    const users = await c.send('GET', '/count-users');
    expect((users.body as { sessions: number }).sessions).toBeGreaterThanOrEqual(1);
  });

  it('@RequireAuth({ maxAuthAgeMs }): 401 reauthentication_required once the clock moved past it', async () => {
    const c = new Client(server.url);
    await c.me();
    await c.send('POST', '/login', { userId: 'grace' });
    await c.me();
    expect((await c.send('POST', '/account/password')).status).toBe(204);
    config.clock.advance(5 * 60_000 + 1);
    const stale = await c.send('POST', '/account/password');
    expect(stale).toMatchObject({ status: 401, body: { error: 'reauthentication_required' } });
    expect((await c.send('GET', '/account')).status).toBe(200);
  });

  it('@RequireAuth({ check }): 403 forbidden unless the predicate passes', async () => {
    const c = new Client(server.url);
    await c.me();
    await c.send('POST', '/login', { userId: 'bob', roles: ['user'] });
    expect(await c.send('GET', '/account/admin')).toMatchObject({
      status: 403,
      body: { error: 'forbidden' },
    });
    const admin = new Client(server.url);
    await admin.me();
    await admin.send('POST', '/login', { userId: 'root', roles: ['admin'] });
    expect(await admin.send('GET', '/account/admin')).toMatchObject({ status: 200, body: { ok: true } });
  });

  it('a raw res.redirect after login carries the new cookie and the next request sees it', async () => {
    const c = new Client(server.url);
    await c.me();
    const r = await c.send('POST', '/login-raw', { userId: 'eve' });
    expect(r.status).toBe(303);
    expect(r.headers.getSetCookie().some((l) => l.startsWith('__Host-sid='))).toBe(true);
    expect(await c.me()).toMatchObject({ userId: 'eve' });
  });

  it('CSRF applies to every unsafe route except @SkipCsrf() ones', async () => {
    const c = new Client(server.url);
    expect(await c.send('POST', '/count')).toMatchObject({ status: 403, body: { error: 'csrf' } });
    expect((await c.send('POST', '/hook')).status).toBe(204);
  });

  it('closes the store it was configured with on shutdown', async () => {
    await server.close();
    expect(config.store.closed).toBe(1);
  });
});

describe('the parameter decorator', () => {
  it('is CurrentSession, with Session kept as the same decorator (issue #15: @nestjs/common exports a Session too)', () => {
    expect(Session).toBe(CurrentSession);
  });
});

describe('options are validated at start-up', () => {
  it('a bad trustProxy fails app creation with invalid_config', async () => {
    await expect(
      listen({ imports: [SessionModule.forRoot({ store: new MemoryStore(), trustProxy: 'yes' as never })] }),
    ).rejects.toMatchObject({ code: 'invalid_config' });
  });

  it('a bad RequireAuth option throws when the class is decorated', () => {
    expect(() => RequireAuth({ maxAuthAgeMs: -1 })).toThrow(/maxAuthAgeMs/);
  });
});

describe.each(PLATFORMS)('SessionErrors thrown in handlers (%s)', (platform) => {
  const store = instrumentStore(new MemoryStore({ warnInProduction: false }));

  @Controller()
  class FlakyController {
    @Get('devices-during-outage')
    async devices(@CurrentSession() session: Session) {
      store.mode = 'reject';
      try {
        return await session.listSessions();
      } finally {
        store.mode = 'up';
      }
    }

    /** A SessionError from a second copy of the core (a store that resolved its own). */
    @Get('second-copy-limit')
    secondCopy() {
      throw new secondCore.SessionError('session_limit', 'at the cap');
    }
  }

  let secondCore: typeof import('@tessera/session-core');
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    vi.resetModules();
    secondCore = await import('@tessera/session-core');
    server = await listen(
      {
        imports: [SessionModule.forRoot({ store })],
        controllers: [MeController, FlakyController],
      },
      {},
      platform,
    );
  });
  afterAll(() => server?.close());

  it("issue #15: a SessionError from a second copy of the core is caught as one: 409, not Nest's 500", async () => {
    expect(secondCore.SessionError).not.toBe(SessionError);
    const r = await new Client(server.url).send('GET', '/second-copy-limit');
    expect(r).toMatchObject({ status: 409, body: { error: 'session_limit' } });
  });

  it('map to their status and code, with no stack: 401 when anonymous, 503 when the store fails', async () => {
    const c = new Client(server.url);
    const anon = await c.send('GET', '/devices-during-outage');
    expect(anon).toMatchObject({ status: 401, body: { error: 'unauthenticated' } });
    await c.me();
    await c.send('POST', '/login', { userId: 'outage' });
    const down = await c.send('GET', '/devices-during-outage');
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ error: 'session_store_unavailable' });
    expect((await c.send('GET', '/account')).status).toBe(404);
    expect(await c.me()).toMatchObject({ userId: 'outage' });
  });
});

describe.each(PLATFORMS)(
  "store outages go to Nest's Logger by default (issue #13.6: a 503 printed nothing) (%s)",
  (platform) => {
    const logged: unknown[][] = [];
    const capture = (...args: unknown[]) => void logged.push(args);
    const logger = { log() {}, debug() {}, verbose() {}, fatal: capture, warn: capture, error: capture };
    const store = instrumentStore(new MemoryStore({ warnInProduction: false }));
    let server: Awaited<ReturnType<typeof listen>>;
    beforeAll(async () => {
      server = await listen(
        { imports: [SessionModule.forRoot({ store })], controllers: [MeController] },
        { logger },
        platform,
      );
    });
    afterAll(() => server?.close());

    it("the first failure and the recovery, once each, in the app's log with the context 'Tessera'", async () => {
      const c = new Client(server.url);
      await c.me();
      await c.send('POST', '/login', { userId: 'logged' });
      logged.length = 0;
      store.mode = 'reject';
      try {
        for (let i = 0; i < 3; i++) expect((await c.send('GET', '/me')).status).toBe(503);
      } finally {
        store.mode = 'up';
      }
      expect(await c.me()).toMatchObject({ userId: 'logged' });
      // Nest's Logger passes error(message, stack, context); no stack: the message says it all.
      expect(logged).toEqual([
        [expect.stringMatching(/^\[tessera\] \[memory\] load failed: store is down/), undefined, 'Tessera'],
        [
          expect.stringMatching(/^\[tessera\] \[memory\] the store answers again, after 3 failed calls/),
          'Tessera',
        ],
      ]);
    });
  },
);

describe.each(PLATFORMS)(
  'a session change after the response has gone, and a throw after a change (%s)',
  (platform) => {
    const logged: string[] = [];
    const capture = (...args: unknown[]) => void logged.push(args.map(String).join(' | '));
    const logger = { log() {}, warn() {}, debug() {}, verbose() {}, fatal: capture, error: capture };
    let refused: unknown;

    @Controller()
    class LateController {
      /** Answers through @Res(), then changes the session: the change is refused. */
      @Get('late')
      async late(@CurrentSession() session: Session, @Res() res: AnyResponse) {
        raw.json(res, { ok: true });
        await sleep(10);
        try {
          session.set('late', 1);
        } catch (error) {
          refused = error;
          throw error;
        }
      }

      /** Answers, then changes the session at once: the response is still held for the commit. */
      @Get('late-held')
      lateHeld(@CurrentSession() session: Session, @Res() res: AnyResponse): void {
        session.set('a', 1);
        raw.json(res, { ok: true });
        session.set('b', 2);
      }

      /** Headers sent, body still open when the refused change is thrown. */
      @Get('late-open')
      async lateOpen(@CurrentSession() session: Session, @Res() res: AnyResponse) {
        raw.writePartial(res, 'partial');
        await sleep(10);
        session.set('late', 1);
      }

      @Get('throw-after-set')
      throwAfterSet(@CurrentSession() session: Session<Data>): never {
        session.set('counter', 7);
        throw new Error('handler failed');
      }

      @Get('session-error-after-set')
      async sessionErrorAfterSet(@CurrentSession() session: Session<Data>) {
        session.set('counter', 8);
        return session.revokeOtherSessions(); // anonymous: 401 unauthenticated
      }
    }

    let server: Awaited<ReturnType<typeof listen>>;
    beforeAll(async () => {
      server = await listen(
        {
          imports: [SessionModule.forRoot({ store: new MemoryStore({ warnInProduction: false }) })],
          controllers: [MeController, LateController],
        },
        { logger },
        platform,
      );
    });
    afterAll(() => server?.close());
    beforeEach(() => {
      logged.length = 0;
      refused = undefined;
    });

    it('a change after @Res() res.json(): the client keeps its answer, the invalid_state is logged', async () => {
      const r = await fetch(`${server.url}/late`);
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({ ok: true });
      await vi.waitFor(() => expect(logged).toHaveLength(1));
      expect(refused).toMatchObject({ code: 'invalid_state' });
      expect(logged[0]).toMatch(/^invalid_state: \[tessera\] the response has already been sent/);
      expect(logged.join('\n')).not.toMatch(/Cannot set headers/);
    });

    it('a change while the answer is held for the commit: the client keeps its answer, the invalid_state is logged', async () => {
      const r = await fetch(`${server.url}/late-held`);
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({ ok: true });
      expect(r.headers.getSetCookie()).toHaveLength(1);
      await vi.waitFor(() => expect(logged).toHaveLength(1));
      expect(logged[0]).toMatch(/^invalid_state: /);
    });

    it('a refused change while the response is still open: logged, and the response is ended', async () => {
      const r = await fetch(`${server.url}/late-open`);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('partial');
      await vi.waitFor(() => expect(logged).toHaveLength(1));
      expect(logged[0]).toMatch(/^invalid_state: /);
    });

    it('a handler that throws after a change: the change is committed, the error response carries the session cookie', async () => {
      for (const [path, status, counter] of [
        ['/throw-after-set', 500, 7],
        ['/session-error-after-set', 401, 8],
      ] as const) {
        const c = new Client(server.url);
        const r = await c.send('GET', path);
        expect(r.status, path).toBe(status);
        expect(
          r.headers.getSetCookie().some((l) => l.startsWith('__Host-sid=')),
          path,
        ).toBe(true);
        expect(await c.me(), path).toMatchObject({ counter });
      }
    });
  },
);

describe.each(PLATFORMS)('trustProxy decides whether X-Forwarded-Proto counts (%s)', (platform) => {
  const servers: Awaited<ReturnType<typeof listen>>[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  /** A TLS-terminating proxy in front: the browser's Origin is https, the socket is http. */
  async function behindTls(trustProxy: number): Promise<number> {
    const store = new MemoryStore({ warnInProduction: false });
    const server = await listen(
      { imports: [SessionModule.forRoot({ store, trustProxy })], controllers: [MeController] },
      {},
      platform,
    );
    servers.push(server);
    const c = new Client(server.url);
    await c.me();
    const origin = server.url.replace('http:', 'https:');
    const r = await c.send('POST', '/count', undefined, { origin, 'x-forwarded-proto': 'https' });
    return r.status;
  }

  it('regression: trustProxy 0 trusts no proxy, so a client-written X-Forwarded-Proto is not believed', async () => {
    expect(await behindTls(1)).toBe(204);
    expect(await behindTls(0)).toBe(403);
  });
});
