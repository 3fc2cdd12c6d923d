import {
  Controller,
  Delete,
  Get,
  Header,
  HttpStatus,
  Inject,
  NotFoundException,
  Patch,
  Post,
  Put,
  Res,
  type Type,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { HEARTBEAT_RESOLVED_OPTIONS } from './heartbeat.constants.js';
import { type ResolvedHeartbeatOptions, servedOnApp } from './heartbeat.options.js';
import { HeartbeatService } from './heartbeat.service.js';
import type { ProbeKind } from './interfaces/probe.interface.js';

/** Headers of every probe response, on the app and on the management port. */
export const PROBE_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
} as const;
/** Body of the 405 answered to methods other than GET and HEAD. */
export const METHOD_NOT_ALLOWED_BODY = JSON.stringify({
  statusCode: 405,
  message: 'Method Not Allowed: probes answer GET and HEAD',
});

/**
 * Builds the controller serving the probes under `path`. It is a thin transport: the service
 * decides the status and produces the body; the controller only hands them to Nest.
 */
export function createHeartbeatController(path: string, decorators: readonly ClassDecorator[] = []): Type<unknown> {
  @Controller({ path, version: VERSION_NEUTRAL })
  class HeartbeatController {
    constructor(
      private readonly service: HeartbeatService,
      private readonly adapterHost: HttpAdapterHost,
      @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
    ) {}

    @Get('readiness')
    @Header('Content-Type', PROBE_HEADERS['Content-Type'])
    @Header('Cache-Control', PROBE_HEADERS['Cache-Control'])
    readiness(@Res({ passthrough: true }) response: unknown): Promise<string> {
      return this.send(response, 'readiness');
    }

    @Get('liveliness')
    @Header('Content-Type', PROBE_HEADERS['Content-Type'])
    @Header('Cache-Control', PROBE_HEADERS['Cache-Control'])
    liveliness(@Res({ passthrough: true }) response: unknown): Promise<string> {
      return this.send(response, 'liveliness');
    }

    @Get('liveness')
    @Header('Content-Type', PROBE_HEADERS['Content-Type'])
    @Header('Cache-Control', PROBE_HEADERS['Cache-Control'])
    liveness(@Res({ passthrough: true }) response: unknown): Promise<string> {
      return this.send(response, 'liveliness');
    }

    @Get('startup')
    @Header('Content-Type', PROBE_HEADERS['Content-Type'])
    @Header('Cache-Control', PROBE_HEADERS['Cache-Control'])
    startup(@Res({ passthrough: true }) response: unknown): Promise<string> {
      return this.send(response, 'startup');
    }

    @Get('environ')
    @Header('Content-Type', PROBE_HEADERS['Content-Type'])
    @Header('Cache-Control', PROBE_HEADERS['Cache-Control'])
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

    private async send(response: unknown, kind: ProbeKind): Promise<string> {
      if (!servedOnApp(this.options, kind)) throw new NotFoundException();
      const { statusCode, body } = await this.service.respond(kind);
      if (statusCode !== HttpStatus.OK) this.adapterHost.httpAdapter.status(response, statusCode);
      return body;
    }

    private notAllowed(response: unknown): void {
      const adapter = this.adapterHost.httpAdapter;
      for (const [name, value] of Object.entries(PROBE_HEADERS)) adapter.setHeader(response, name, value);
      adapter.setHeader(response, 'Allow', 'GET, HEAD');
      adapter.reply(response, METHOD_NOT_ALLOWED_BODY, HttpStatus.METHOD_NOT_ALLOWED);
    }
  }
  for (const decorate of decorators) decorate(HeartbeatController);
  return HeartbeatController;
}
