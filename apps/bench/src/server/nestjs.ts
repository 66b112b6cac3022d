/** NestJS 12 on its Express platform: bare, Tessera (`SessionModule`). */
import 'reflect-metadata';
import type { Server } from 'node:http';
import { Controller, Get, type INestApplication, Module, Post, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Session as TesseraSession } from '@tessera/session-core';
import { CurrentSession, SessionModule, SkipCsrf } from '@tessera/session-nestjs';
import type { Contender } from '../contenders.js';
import { nextLoginUser, poolUser, tesseraStore } from './stores.js';

@Controller()
class BareController {
  @Get('read')
  read() {
    return { n: 0 };
  }
  @Post('write')
  write() {
    return { n: 1 };
  }
  @Post('login')
  login() {
    return { ok: true };
  }
  @Get('none')
  none() {
    return { ok: true };
  }
  @Post('setup')
  setup() {
    return { ok: true };
  }
}

@Controller()
@SkipCsrf()
class SessionController {
  @Get('read')
  read(@CurrentSession() s: TesseraSession) {
    return { u: s.userId, n: s.get('n') };
  }
  @Post('write')
  write(@CurrentSession() s: TesseraSession) {
    const n = ((s.get('n') as number | undefined) ?? 0) + 1;
    s.set('n', n);
    return { n };
  }
  @Post('login')
  async login(@CurrentSession() s: TesseraSession) {
    await s.login(nextLoginUser());
    return { ok: true };
  }
  @Get('none')
  none() {
    return { ok: true };
  }
  @Post('setup')
  async setup(@CurrentSession() s: TesseraSession, @Query('u') u: string) {
    await s.login(poolUser(u));
    s.set('n', 0);
    return { ok: true };
  }
}

export async function nestApp(c: Contender): Promise<Server> {
  let app: INestApplication;
  if (c.library === 'bare') {
    @Module({ controllers: [BareController] })
    class BareModule {}
    app = await NestFactory.create(BareModule, { logger: false });
  } else {
    const store = await tesseraStore(c);
    @Module({
      imports: [SessionModule.forRoot({ store, cookie: { secure: false }, csrf: { enabled: false } })],
      controllers: [SessionController],
    })
    class TesseraModule {}
    app = await NestFactory.create(TesseraModule, { logger: false });
  }
  await app.listen(0, '127.0.0.1');
  return app.getHttpServer() as Server;
}
