import {
  Controller,
  Delete,
  Get,
  Header,
  HttpStatus,
  Patch,
  Post,
  Put,
  Res,
  type Type,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { HeartbeatService } from './heartbeat.service.js';
import type { ProbeKind } from './interfaces/probe.interface.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const METHOD_NOT_ALLOWED = JSON.stringify({
  statusCode: 405,
  message: 'Method Not Allowed: probes answer GET and HEAD',
});

/**
 * Builds the controller serving the probes under `path`. It is a thin transport: the service
 * decides the status and produces the body; the controller only writes them to the response.
 */
export function createHeartbeatController(path: string, decorators: readonly ClassDecorator[] = []): Type<unknown> {
  @Controller({ path, version: VERSION_NEUTRAL })
  class HeartbeatController {
    constructor(
      private readonly service: HeartbeatService,
      private readonly adapterHost: HttpAdapterHost,
    ) {}

    @Get('readiness')
    @Header('Content-Type', JSON_TYPE)
    @Header('Cache-Control', 'no-store')
    readiness(@Res({ passthrough: true }) response: unknown): Promise<string> {
      return this.send(response, 'readiness');
    }

    @Get('liveliness')
    @Header('Content-Type', JSON_TYPE)
    @Header('Cache-Control', 'no-store')
    liveliness(@Res({ passthrough: true }) response: unknown): Promise<string> {
      return this.send(response, 'liveliness');
    }

    @Get('liveness')
    @Header('Content-Type', JSON_TYPE)
    @Header('Cache-Control', 'no-store')
    liveness(@Res({ passthrough: true }) response: unknown): Promise<string> {
      return this.send(response, 'liveliness');
    }

    @Get('environ')
    @Header('Content-Type', JSON_TYPE)
    @Header('Cache-Control', 'no-store')
    environ(@Res({ passthrough: true }) response: unknown): Promise<string> {
      return this.send(response, 'environ');
    }

    // One handler per method: Nest keeps a single route mapping per handler.
    @Post(':probe')
    post(@Res() response: unknown): void {
      this.notAllowed(response);
    }

    @Put(':probe')
    put(@Res() response: unknown): void {
      this.notAllowed(response);
    }

    @Patch(':probe')
    patch(@Res() response: unknown): void {
      this.notAllowed(response);
    }

    @Delete(':probe')
    delete(@Res() response: unknown): void {
      this.notAllowed(response);
    }

    private notAllowed(response: unknown): void {
      this.write(response, HttpStatus.METHOD_NOT_ALLOWED, METHOD_NOT_ALLOWED, true);
    }

    private async send(response: unknown, kind: ProbeKind): Promise<string> {
      const { statusCode, body } = await this.service.respond(kind);
      if (statusCode !== 200) this.adapterHost.httpAdapter.status(response, statusCode);
      return body;
    }

    private write(response: unknown, statusCode: number, body: string, notAllowed: boolean): void {
      const adapter = this.adapterHost.httpAdapter;
      adapter.setHeader(response, 'Content-Type', JSON_TYPE);
      adapter.setHeader(response, 'Cache-Control', 'no-store');
      if (notAllowed) adapter.setHeader(response, 'Allow', 'GET, HEAD');
      adapter.reply(response, body, statusCode);
    }
  }
  for (const decorate of decorators) decorate(HeartbeatController);
  return HeartbeatController;
}
