// NestJS wiring of the demo: SessionModule (session middleware, global CsrfGuard and
// SessionExceptionFilter) from @tessera/session-nestjs, then the shared handlers; on Nest's
// Express platform, or on its Fastify one (DEMO_NEST_PLATFORM=fastify).
import 'reflect-metadata';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ArgumentsHost,
  type CanActivate,
  Catch,
  Controller,
  Delete,
  type ExecutionContext,
  Get,
  HttpException,
  type INestApplication,
  Inject,
  Injectable,
  Module,
  Param,
  Post,
  Put,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { BaseExceptionFilter, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { LoginAttempt, LoginThrottle } from '@tessera/session-core';
import {
  CurrentLoginAttempt,
  CurrentSession,
  loginThrottle,
  type Session,
  SessionGuard,
  SessionModule,
} from '@tessera/session-nestjs';
import type { Response as ExpressResponse, Request } from 'express';
import type { FastifyReply } from 'fastify';
import * as api from '../api.js';
import { type NestPlatform, readConfig } from '../config.js';
import { bodyRefusal, FASTIFY_OPTIONS, parseBodies, sendReply } from './fastify-parts.js';
import { jsonBody } from './json-body.js';
import { rawBadSegments } from './raw-segments.js';
import type { StartApp } from './types.js';

/** What `@Res()` injects: Express's response, or Fastify's reply on Nest's Fastify platform. */
type Response = ExpressResponse | FastifyReply;

/** Handlers take `@Res()` so the shared `Reply` sets status and body as in the other wirings. */
function send(res: Response, r: api.Reply): void {
  if ('hijack' in res) {
    sendReply(res, r);
    return;
  }
  res.set('cache-control', api.CACHE_CONTROL);
  if (r.html !== undefined) res.status(r.status).type('html').send(r.html);
  else if (r.json !== undefined) res.status(r.status).json(r.json);
  else res.status(r.status).end();
}

/** The app's throttle, provided by the module (no decorator metadata: injected by token). */
const LOGIN_THROTTLE = Symbol('LOGIN_THROTTLE');

/**
 * The adapter's `loginThrottle()` guard behind Nest's DI, so the throttle built at start-up
 * reaches `@UseGuards(DemoLoginThrottle)`. A refusal is 429 `too_many_attempts` with
 * Retry-After (through SessionExceptionFilter); no-store is set first, as on every answer.
 */
@Injectable()
class DemoLoginThrottle implements CanActivate {
  readonly #guard: CanActivate;
  constructor(@Inject(LOGIN_THROTTLE) throttle: LoginThrottle) {
    this.#guard = loginThrottle<Request>(throttle, { account: (req) => api.usernameOf(req.body) });
  }
  canActivate(context: ExecutionContext) {
    const res = context.switchToHttp().getResponse<{ raw?: ServerResponse } & Partial<ServerResponse>>();
    (res.raw ?? (res as ServerResponse)).setHeader('cache-control', api.CACHE_CONTROL);
    return this.#guard.canActivate(context);
  }
}

@Controller()
class DemoController {
  @Get()
  async home(@CurrentSession() s: Session, @Res() res: Response) {
    send(res, await api.home(s));
  }

  @Get('api/session')
  session(@CurrentSession() s: Session, @Res() res: Response) {
    send(res, api.getSession(s));
  }

  @Post('api/login')
  @UseGuards(DemoLoginThrottle) // 429 { error: 'too_many_attempts' } before the handler runs
  async login(
    @CurrentSession() s: Session,
    @CurrentLoginAttempt() attempt: LoginAttempt,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    send(res, await api.login(s, req.body, attempt));
  }

  @Post('api/logout')
  async logout(@CurrentSession() s: Session, @Res() res: Response) {
    send(res, await api.logout(s));
  }

  @Post('api/counter')
  counter(@CurrentSession() s: Session, @Res() res: Response) {
    send(res, api.counter(s));
  }

  @Put('api/notes/:key')
  putNote(
    @CurrentSession() s: Session,
    @Param('key') key: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    send(res, api.putNote(s, key, req.body));
  }

  @Get('api/notes')
  notes(@CurrentSession() s: Session, @Res() res: Response) {
    send(res, api.getNotes(s));
  }

  @Get('api/protected')
  @UseGuards(SessionGuard) // 401 { error: 'unauthenticated' } before the handler runs
  protected(@CurrentSession() s: Session, @Res() res: Response) {
    send(res, api.getProtected(s));
  }

  @Get('api/sessions')
  async sessions(@CurrentSession() s: Session, @Res() res: Response) {
    send(res, await api.listSessions(s));
  }

  @Post('api/sessions/revoke-others')
  async revokeOthers(@CurrentSession() s: Session, @Res() res: Response) {
    send(res, await api.revokeOthers(s));
  }

  @Delete('api/sessions/:handle')
  async revoke(@CurrentSession() s: Session, @Param('handle') handle: string, @Res() res: Response) {
    send(res, await api.revokeSession(s, handle));
  }
}

/**
 * On Fastify, Nest hands a body Fastify refuses (over the limit, a bad Content-Length) to its
 * exception layer as an HttpException caused by Fastify's error: answered as fastify.ts does,
 * rather than as Nest's `{ statusCode, message }`. Anything else goes to Nest's default filter.
 */
@Catch(HttpException)
class BodyRefusalFilter extends BaseExceptionFilter {
  override catch(exception: HttpException, host: ArgumentsHost): void {
    const cause = exception.cause as { code?: unknown; statusCode?: unknown } | undefined;
    const fromFastify = typeof cause?.code === 'string' && cause.code.startsWith('FST_ERR');
    const refused = fromFastify ? bodyRefusal(cause) : undefined;
    if (refused) host.switchToHttp().getResponse<FastifyReply>().code(refused.status).send(refused.json);
    else super.catch(exception, host);
  }
}

/** Nest on the given platform, with the same path and body handling as express.ts or fastify.ts. */
async function create(module: object, platform: NestPlatform): Promise<INestApplication> {
  // Errors only: the demo prints one start line of its own.
  const options = { logger: ['error' as const], bodyParser: false };
  if (platform === 'fastify') {
    const adapter = new FastifyAdapter(FASTIFY_OPTIONS);
    parseBodies(adapter.getInstance());
    const app = await NestFactory.create(module, adapter, options);
    app.useGlobalFilters(new BodyRefusalFilter(app.getHttpAdapter()));
    return app;
  }
  const app = await NestFactory.create(module, options);
  app.getHttpAdapter().getInstance().disable('x-powered-by');
  app.use(rawBadSegments);
  app.use(jsonBody);
  return app;
}

/** The wiring on one Nest platform; `start` takes it from DEMO_NEST_PLATFORM. */
export function startOn(platform: NestPlatform): StartApp {
  return async (manager, port, throttle) => {
    @Module({
      imports: [SessionModule.forRoot({ manager })],
      controllers: [DemoController],
      providers: [{ provide: LOGIN_THROTTLE, useValue: throttle }, DemoLoginThrottle],
    })
    class DemoModule {}

    const app = await create(DemoModule, platform);
    await app.listen(port, '127.0.0.1');
    const server = app.getHttpServer();
    const { port: actual } = server.address() as AddressInfo;
    return {
      url: `http://localhost:${actual}`,
      close: async () => {
        // As fastify.ts: kept-alive connections must not hold the close.
        if (platform === 'fastify') server.closeAllConnections();
        await app.close();
      },
    };
  };
}

export const start: StartApp = (manager, port, throttle) =>
  startOn(readConfig().nestPlatform)(manager, port, throttle);
