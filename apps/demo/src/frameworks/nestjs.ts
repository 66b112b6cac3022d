// NestJS wiring of the demo: SessionModule (session middleware, global CsrfGuard and
// SessionExceptionFilter) from @tessera/session-nestjs, then the shared handlers.
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Controller, Delete, Get, Module, Param, Post, Put, Req, Res, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CurrentSession, type Session, SessionGuard, SessionModule } from '@tessera/session-nestjs';
import type { Request, Response } from 'express';
import * as api from '../api.js';
import { jsonBody } from './json-body.js';
import { rawBadSegments } from './raw-segments.js';
import type { StartApp } from './types.js';

/** Handlers take `@Res()` so the shared `Reply` sets status and body as in the other three. */
function send(res: Response, r: api.Reply): void {
  res.set('cache-control', api.CACHE_CONTROL);
  if (r.html !== undefined) res.status(r.status).type('html').send(r.html);
  else if (r.json !== undefined) res.status(r.status).json(r.json);
  else res.status(r.status).end();
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
  async login(@CurrentSession() s: Session, @Req() req: Request, @Res() res: Response) {
    send(res, await api.login(s, req.body));
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

export const start: StartApp = async (manager, port) => {
  @Module({ imports: [SessionModule.forRoot({ manager })], controllers: [DemoController] })
  class DemoModule {}

  // Errors only: the demo prints one start line of its own.
  const app = await NestFactory.create(DemoModule, { logger: ['error'], bodyParser: false });
  app.getHttpAdapter().getInstance().disable('x-powered-by');
  // Nest runs on its Express platform: the same path and body handling as express.ts.
  app.use(rawBadSegments);
  app.use(jsonBody);
  await app.listen(port, '127.0.0.1');
  const { port: actual } = app.getHttpServer().address() as AddressInfo;
  return { url: `http://localhost:${actual}`, close: () => app.close() };
};
