import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HEARTBEAT_RESOLVED_OPTIONS, HEARTBEAT_ROUTE_PATH, PROBE_ROUTES } from './heartbeat.constants.js';
import { METHOD_NOT_ALLOWED_BODY, PROBE_HEADERS } from './heartbeat.controller.js';
import { MANAGEMENT_LISTEN_FAILED } from './heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from './heartbeat.options.js';
import { HeartbeatService } from './heartbeat.service.js';
import { parseView } from './report.views.js';

const NOT_FOUND_BODY = JSON.stringify({ statusCode: 404, message: 'Not Found' });

/**
 * The management port: a plain `node:http` server owned by the module, serving the same routes
 * outside the app's middleware, guards, prefix and body parsing, also for apps without an HTTP server.
 */
@Injectable()
export class HeartbeatManagementServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: Server | null = null;
  private readonly routes: Map<string, (typeof PROBE_ROUTES)[keyof typeof PROBE_ROUTES]>;

  constructor(
    private readonly service: HeartbeatService,
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
    @Inject(HEARTBEAT_ROUTE_PATH) path: string,
  ) {
    const prefix = path ? `/${path}/` : '/';
    this.routes = new Map(
      Object.entries(PROBE_ROUTES)
        .filter(([, kind]) => kind !== 'environ' || options.environ.enabled)
        .map(([route, kind]) => [prefix + route, kind]),
    );
  }

  /** Where the management server listens, once started; `null` without a `port` option. */
  address(): { host: string; port: number } | null {
    const address = this.server?.address() as AddressInfo | null | undefined;
    return address ? { host: address.address, port: address.port } : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { port, host } = this.options;
    if (port === null) return;
    const server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(new Error(MANAGEMENT_LISTEN_FAILED(host, port, error.message))));
      server.listen(port, host, () => resolve());
    });
    this.server = server;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = request.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    let kind = this.routes.get(path);
    let check: string | null | undefined;
    if (!kind) {
      // <path>/<probe>/<check>: one check alone.
      const slash = path.lastIndexOf('/');
      const parent = this.routes.get(path.slice(0, slash));
      if (parent && parent !== 'environ' && slash < path.length - 1) {
        kind = parent;
        check = safeDecode(path.slice(slash + 1));
      }
    }
    if (!kind || check === null) return this.write(response, 404, NOT_FOUND_BODY);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      return this.write(response, 405, METHOD_NOT_ALLOWED_BODY);
    }
    try {
      const view = parseView(
        queryAt === -1 ? undefined : new URLSearchParams(url.slice(queryAt + 1)),
        request.headers.accept,
      );
      const { statusCode, contentType, body } = await this.service.respond(
        kind,
        check === undefined ? view : { ...view, check },
      );
      this.write(response, statusCode, body, request.method === 'HEAD', contentType);
    } catch {
      // The service does not throw; this keeps a bug from leaving the kubelet without an answer.
      this.write(response, 500, JSON.stringify({ status: false, checks: {} }));
    }
  }

  private write(
    response: ServerResponse,
    statusCode: number,
    body: string,
    head = false,
    contentType: string = PROBE_HEADERS['Content-Type'],
  ): void {
    response.writeHead(statusCode, {
      'Content-Type': contentType,
      'Cache-Control': PROBE_HEADERS['Cache-Control'],
      'Content-Length': Buffer.byteLength(body),
    });
    response.end(head ? undefined : body);
  }
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
