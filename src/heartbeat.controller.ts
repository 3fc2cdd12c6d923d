import { Controller, Delete, Get, HttpStatus, Patch, Post, Put, Res, type Type, VERSION_NEUTRAL } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { HeartbeatService } from './heartbeat.service.js';
import type { ProbeKind } from './interfaces/probe.interface.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const METHOD_NOT_ALLOWED = JSON.stringify({ statusCode: 405, message: 'Method Not Allowed: probes answer GET and HEAD' });

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
    readiness(@Res() response: unknown): Promise<void> {
      return this.send(response, 'readiness');
    }

    @Get('liveliness')
    liveliness(@Res() response: unknown): Promise<void> {
      return this.send(response, 'liveliness');
    }

    @Get('liveness')
    liveness(@Res() response: unknown): Promise<void> {
      return this.send(response, 'liveliness');
    }

    @Get('environ')
    environ(@Res() response: unknown): Promise<void> {
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

    private async send(response: unknown, kind: ProbeKind): Promise<void> {
      const { statusCode, body } = await this.service.respond(kind);
      this.write(response, statusCode, body, false);
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
