/**
 * The contract's TEST APP as a Nest controller on the Express platform, served over real
 * HTTP on 127.0.0.1. Decorator metadata is not emitted (as under tsx/esbuild): every
 * injection is explicit.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  type INestApplication,
  Module,
  type ModuleMetadata,
  type NestApplicationOptions,
  Post,
  Redirect,
  UseGuards,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { SessionManager } from '@tessera/session-core';
import type { TestServer } from '@tessera/session-testing';
import {
  CurrentSession,
  RequireAuth,
  type Session,
  SessionGuard,
  SessionModule,
  SkipCsrf,
} from '../src/index.js';

@Controller()
export class TestController {
  @Get('state')
  state(@CurrentSession() session: Session) {
    const { authenticated, userId, handle, csrfToken } = session;
    return { authenticated, userId, handle, csrfToken, data: session.toJSON() };
  }

  @Post('set')
  @HttpCode(204)
  set(@CurrentSession() session: Session, @Body() body: { key: string; value: unknown }): void {
    session.set(body.key, body.value);
  }

  @Post('login')
  @HttpCode(200)
  async login(@CurrentSession() session: Session, @Body() body: { userId: string }) {
    await session.login(body.userId);
    return { userId: body.userId };
  }

  @Post('login-redirect')
  @Redirect('/state', 303)
  async loginRedirect(@CurrentSession() session: Session, @Body() body: { userId: string }): Promise<void> {
    await session.login(body.userId);
  }

  @Post('logout')
  @HttpCode(204)
  async logout(@CurrentSession() session: Session): Promise<void> {
    await session.logout();
  }

  @Get('protected')
  @UseGuards(SessionGuard)
  protected(@CurrentSession() session: Session) {
    return { userId: session.userId };
  }

  @Get('recent')
  @RequireAuth({ maxAuthAgeMs: 60_000 })
  recent(@CurrentSession() session: Session) {
    return { userId: session.userId };
  }

  @Get('devices')
  @UseGuards(SessionGuard)
  devices(@CurrentSession() session: Session) {
    return session.listSessions();
  }

  @Post('form')
  @HttpCode(200)
  form(@Body() body: { note?: unknown }) {
    return { note: typeof body?.note === 'string' ? body.note : null };
  }

  @Post('hook')
  @SkipCsrf()
  @HttpCode(204)
  hook(@CurrentSession() session: Session): void {
    session.set('hook', true);
  }
}

/** The two HTTP platforms Nest ships; every suite here runs on both. */
export const PLATFORMS = ['express', 'fastify'] as const;
export type Platform = (typeof PLATFORMS)[number];

function fastifyAdapter(): FastifyAdapter {
  const adapter = new FastifyAdapter({ bodyLimit: 100 * 1024 });
  // What @fastify/multipart (Nest's upload support on Fastify) does: accept the type and leave
  // the stream to the handler, so a multipart body reaches the guards unread (no Fastify 415).
  adapter.getInstance().addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null));
  return adapter;
}

/**
 * Start a Nest app on 127.0.0.1:0 with the given module metadata (and app options: a logger...),
 * on Nest's Express platform or on its Fastify one (body limit 100 KiB, as Express's parsers).
 */
export async function listen(
  metadata: ModuleMetadata,
  options: NestApplicationOptions = {},
  platform: Platform = 'express',
): Promise<TestServer & { app: INestApplication }> {
  @Module(metadata)
  class AppModule {}
  const appOptions = { logger: false as const, abortOnError: false, ...options };
  const app =
    platform === 'fastify'
      ? await NestFactory.create(AppModule, fastifyAdapter(), appOptions)
      : await NestFactory.create(AppModule, appOptions);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

export function testApp(manager: SessionManager, platform: Platform = 'express'): Promise<TestServer> {
  return listen(
    { imports: [SessionModule.forRoot({ manager })], controllers: [TestController] },
    {},
    platform,
  );
}
