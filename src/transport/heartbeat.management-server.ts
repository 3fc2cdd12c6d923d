import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HEARTBEAT_RESOLVED_OPTIONS, HEARTBEAT_ROUTE_PATH } from '../heartbeat.constants.js';
import { MANAGEMENT_LISTEN_FAILED, METRICS_FAILED } from '../heartbeat.messages.js';
import { oneLine, reasonOf } from '../run/outcome-text.js';
import { type ResolvedHeartbeatOptions, servedOnPort } from '../heartbeat.options.js';
import type { ProbeKind } from '../interfaces/probe.interface.js';
import {
  ALLOWED_METHODS,
  BAD_PATH_BODY,
  matchRoute,
  METHOD_NOT_ALLOWED_BODY,
  NOT_FOUND_BODY,
  PROBE_HEADERS,
  transportFailure,
} from './heartbeat.routes.js';
import { ProbeResponder, type ProbeResponse } from '../report/probe-responder.js';
import { ProbeEvaluator } from '../run/probe-evaluator.js';
import { HeartbeatMetrics } from '../metrics/heartbeat.metrics.js';
import { parseView } from '../report/report.views.js';

/** Limits of the management port's HTTP server; every time is in milliseconds. */
export interface ManagementServerLimits {
  /** Time a client has to send the request's headers (a slowloris is cut off after it). */
  readonly headersTimeoutMs: number;
  /** Time a client has to send the whole request. */
  readonly requestTimeoutMs: number;
  /** Time an idle keep-alive connection is kept after a response. */
  readonly keepAliveTimeoutMs: number;
  /** How often the server looks for connections past `headersTimeoutMs` or `requestTimeoutMs`. */
  readonly checkIntervalMs: number;
  /** Largest request head (request line and headers) accepted, in bytes; larger ones get 431. */
  readonly maxHeaderBytes: number;
}

/** Injection token of `ManagementServerLimits` (optional; `MANAGEMENT_SERVER_LIMITS` when absent). */
export const MANAGEMENT_LIMITS = Symbol('HEARTBEAT_MANAGEMENT_LIMITS');

/**
 * A probe is one small GET that the kubelet sends at once and gives up on after `timeoutSeconds`
 * (1 s by default). Node's defaults (60 s for the headers, checked every 30 s) let a client that
 * trickles a request line hold a socket for 60-90 s; these keep every socket short-lived.
 */
export const MANAGEMENT_SERVER_LIMITS: ManagementServerLimits = Object.freeze({
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
  maxHeaderBytes: 8 * 1024,
});

const NOT_FOUND: ProbeResponse = { statusCode: 404, contentType: PROBE_HEADERS['Content-Type'], body: NOT_FOUND_BODY };
const NOT_ALLOWED: ProbeResponse = { ...NOT_FOUND, statusCode: 405, body: METHOD_NOT_ALLOWED_BODY };
const BAD_PATH: ProbeResponse = { ...NOT_FOUND, statusCode: 400, body: BAD_PATH_BODY };
const REFUSED = { 400: BAD_PATH, 404: NOT_FOUND, 405: NOT_ALLOWED } as const;

/**
 * The management port: a plain `node:http` server owned by the module, serving the same routes
 * outside the app's middleware, guards, prefix and body parsing, also for apps without an HTTP server.
 */
@Injectable()
export class HeartbeatManagementServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: Server | null = null;
  /** The prefix with its leading and trailing slash (`/` without a path). */
  private readonly prefix: string;
  private readonly limits: ManagementServerLimits;

  constructor(
    private readonly responder: ProbeResponder,
    private readonly evaluator: ProbeEvaluator,
    private readonly metrics: HeartbeatMetrics,
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
    @Inject(HEARTBEAT_ROUTE_PATH) path: string,
    @Optional() @Inject(MANAGEMENT_LIMITS) limits?: Partial<ManagementServerLimits>,
  ) {
    this.prefix = path ? `/${path}/` : '/';
    this.limits = { ...MANAGEMENT_SERVER_LIMITS, ...limits };
  }

  private readonly served = (kind: ProbeKind): boolean => servedOnPort(this.options, kind);

  /** Where the management server listens, once started; `null` without a `port` option. */
  address(): { host: string; port: number } | null {
    const address = this.server?.address() as AddressInfo | null | undefined;
    return address ? { host: address.address, port: address.port } : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { port, host } = this.options;
    if (port === null) return;
    const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, checkIntervalMs, maxHeaderBytes } = this.limits;
    const server = createServer(
      { maxHeaderSize: maxHeaderBytes, connectionsCheckingInterval: checkIntervalMs },
      (request, response) => void this.handle(request, response),
    );
    server.headersTimeout = headersTimeoutMs;
    server.requestTimeout = requestTimeoutMs;
    server.keepAliveTimeout = keepAliveTimeoutMs;
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
    if (path === '/metrics' && this.metrics.servesPrometheus) return this.serveMetrics(request, response);
    const match = matchRoute(this.prefix, request.method ?? '', path, this.served);
    if (match.refused !== undefined) {
      if (match.refused === 405) response.setHeader('Allow', ALLOWED_METHODS);
      return this.write(response, REFUSED[match.refused]);
    }
    const { route } = match;
    let answer: ProbeResponse;
    try {
      const view = parseView(
        queryAt === -1 ? undefined : new URLSearchParams(url.slice(queryAt + 1)),
        request.headers.accept,
      );
      answer = await this.responder.respond(
        route.kind,
        route.check === undefined ? view : { ...view, check: route.check },
      );
    } catch (error) {
      answer = transportFailure(route.kind, error, this.options.failureStatusCode, this.options.logger);
    }
    this.write(response, answer, request.method === 'HEAD');
  }

  /** `GET /metrics`: the Prometheus text exposition of the configured registry. */
  private async serveMetrics(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? '';
    if (method !== 'GET' && method !== 'HEAD') {
      response.setHeader('Allow', ALLOWED_METHODS);
      return this.write(response, REFUSED[405]);
    }
    let answer: ProbeResponse;
    try {
      const text = await this.metrics.prometheusText();
      answer = text ? { statusCode: 200, contentType: text.contentType, body: text.body } : REFUSED[404];
    } catch (error) {
      this.options.logger?.error(METRICS_FAILED(oneLine(reasonOf(error))));
      answer = { statusCode: 500, contentType: 'text/plain; charset=utf-8', body: 'metrics could not be collected\n' };
    }
    this.write(response, answer, method === 'HEAD');
  }

  private write(response: ServerResponse, { statusCode, contentType, body }: ProbeResponse, head = false): void {
    try {
      // Once shutting down, a keep-alive poller is told to reconnect, so it cannot hold the port open.
      if (this.evaluator.isShuttingDown()) response.setHeader('Connection', 'close');
      response.writeHead(statusCode, {
        'Content-Type': contentType,
        'Cache-Control': PROBE_HEADERS['Cache-Control'],
        'Content-Length': Buffer.byteLength(body),
      });
      response.end(head ? undefined : body);
    } catch {
      // The client went away (or the response was already sent): nothing is left to tell it.
      response.destroy();
    }
  }
}
