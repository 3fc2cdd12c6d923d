import {
  Controller,
  Delete,
  Get,
  HttpStatus,
  Inject,
  NotFoundException,
  Patch,
  Post,
  Put,
  Param,
  Req,
  Res,
  type Type,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { HEARTBEAT_RESOLVED_OPTIONS, PROBE_ROUTES } from './heartbeat.constants.js';
import { type ResolvedHeartbeatOptions, servedOnApp } from './heartbeat.options.js';
import { HeartbeatService } from './heartbeat.service.js';
import type { ProbeKind } from './interfaces/probe.interface.js';
import { parseView } from './report.views.js';

/** What the controller reads of a request, on Express and Fastify alike. */
interface ProbeRequest {
  url?: string;
  query?: Record<string, unknown>;
  headers?: Record<string, string | string[] | undefined>;
}

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
    readiness(@Req() request: ProbeRequest, @Res({ passthrough: true }) response: unknown): Promise<string> {
      return this.send(request, response, 'readiness');
    }

    @Get(['liveliness', 'liveness'])
    liveliness(@Req() request: ProbeRequest, @Res({ passthrough: true }) response: unknown): Promise<string> {
      return this.send(request, response, 'liveliness');
    }

    @Get('startup')
    startup(@Req() request: ProbeRequest, @Res({ passthrough: true }) response: unknown): Promise<string> {
      return this.send(request, response, 'startup');
    }

    @Get('environ')
    environ(@Req() request: ProbeRequest, @Res({ passthrough: true }) response: unknown): Promise<string> {
      return this.send(request, response, 'environ');
    }

    @Get(':probe/:check')
    check(
      @Param('probe') probe: string,
      @Param('check') check: string,
      @Req() request: ProbeRequest,
      @Res({ passthrough: true }) response: unknown,
    ): Promise<string> {
      const kind = Object.hasOwn(PROBE_ROUTES, probe) ? PROBE_ROUTES[probe as keyof typeof PROBE_ROUTES] : undefined;
      if (!kind || kind === 'environ') throw new NotFoundException();
      return this.send(request, response, kind, check);
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

    private async send(request: ProbeRequest, response: unknown, kind: ProbeKind, check?: string): Promise<string> {
      if (!servedOnApp(this.options, kind)) throw new NotFoundException();
      // Express parses the query string on each read of request.query: read it only when there is one.
      const query = request.url?.includes('?') === false ? undefined : request.query;
      const view = parseView(query, request.headers?.accept);
      const { statusCode, contentType, body } = await this.service.respond(
        kind,
        check === undefined ? view : { ...view, check },
      );
      const adapter = this.adapterHost.httpAdapter;
      adapter.setHeader(response, 'Content-Type', contentType);
      adapter.setHeader(response, 'Cache-Control', PROBE_HEADERS['Cache-Control']);
      if (statusCode !== HttpStatus.OK) adapter.status(response, statusCode);
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
