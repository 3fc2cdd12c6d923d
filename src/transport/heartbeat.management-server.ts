import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, Optional } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  HEARTBEAT_METRICS_EXPOSITION,
  HEARTBEAT_RESOLVED_OPTIONS,
  HEARTBEAT_ROUTE_PATH,
  HEARTBEAT_STATUS_PAGES,
} from '../heartbeat.constants.js';
import type { StatusPages } from '../interfaces/status-pages.interface.js';
import { MANAGEMENT_LISTEN_FAILED, MANAGEMENT_LISTENING, METRICS_FAILED } from '../heartbeat.messages.js';
import { oneLine, reasonOf } from '../util/text.js';
import { type ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import { servedOnPort } from './served-probes.js';
import type { ProbeKind } from '../interfaces/probe.interface.js';
import { matchRoute } from '../probe/route-table.js';
import { ALLOWED_METHODS, REFUSED, transportFailure } from './probe-answers.js';
import { ProbeSerializer, type ProbeResponse } from '../report/probe.serializer.js';
import { ProbeEvaluator } from '../run/probe-evaluator.js';
import { HealthState } from '../state/health-state.js';
import { parseView } from '../probe/probe-view.js';
import {
  addressOf,
  closeProbeServer,
  hostPort,
  listenProbeServer,
  MANAGEMENT_SERVER_LIMITS,
  type ManagementServerLimits,
  writeProbeResponse,
} from './probe-http.js';
import { ManagementThread } from './management.thread.js';
import { HEARTBEAT_THREAD_WORKER, type ThreadWorkerSource } from './thread.setup.js';

export { MANAGEMENT_SERVER_LIMITS, type ManagementServerLimits } from './probe-http.js';

/** Writes an answer: the response, and the `Allow` header of a 405. */
type Send = (response: ProbeResponse, allow?: string) => void;

/** Injection token of `ManagementServerLimits` (optional; `MANAGEMENT_SERVER_LIMITS` when absent). */
export const MANAGEMENT_LIMITS = Symbol('HEARTBEAT_MANAGEMENT_LIMITS');

/**
 * What the management port serves at `/metrics`: the metrics observer (`HeartbeatMetrics`), bound
 * by the module to `HEARTBEAT_METRICS_EXPOSITION`, so that a transport never imports an observer.
 */
export interface MetricsExposition {
  /** Whether Prometheus is on (else `/metrics` goes to the probe routes like any other path). */
  readonly servesPrometheus: boolean;
  /** The Prometheus text exposition, or `null` when Prometheus is off. */
  prometheusText(): Promise<{ contentType: string; body: string } | null>;
}

/** What the management port answers a request: the response, and the `Allow` header of a 405. */
export interface ManagementAnswer {
  readonly response: ProbeResponse;
  readonly allow?: string;
}

/**
 * The management port: a plain `node:http` server owned by the module, serving the same routes
 * outside the app's middleware, guards, prefix and body parsing, also for apps without an HTTP
 * server. With `thread: true` the server runs in a worker thread (`ManagementThread`), which
 * answers the kubelet from what this thread publishes and asks `answer()` for anything else.
 */
@Injectable()
export class HeartbeatManagementServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: Server | null = null;
  private thread: ManagementThread | null = null;
  /** The prefix with its leading and trailing slash (`/` without a path). */
  private readonly prefix: string;
  private readonly limits: ManagementServerLimits;

  constructor(
    private readonly serializer: ProbeSerializer,
    private readonly evaluator: ProbeEvaluator,
    @Inject(HEARTBEAT_METRICS_EXPOSITION) private readonly metrics: MetricsExposition,
    private readonly health: HealthState,
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
    @Inject(HEARTBEAT_ROUTE_PATH) path: string,
    @Optional() @Inject(MANAGEMENT_LIMITS) limits?: Partial<ManagementServerLimits>,
    @Optional() @Inject(HEARTBEAT_THREAD_WORKER) private readonly workerSource?: ThreadWorkerSource,
    @Optional() @Inject(HEARTBEAT_STATUS_PAGES) private readonly statusPages?: StatusPages,
  ) {
    this.prefix = path ? `/${path}/` : '/';
    this.limits = { ...MANAGEMENT_SERVER_LIMITS, ...limits };
  }

  private readonly served = (kind: ProbeKind): boolean => servedOnPort(this.options, kind);

  /** Where the management server listens, once started; `null` without a `port` option. */
  address(): { host: string; port: number } | null {
    if (this.thread) return this.thread.address;
    return this.server ? addressOf(this.server) : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { port, host, thread } = this.options;
    if (port === null) return;
    if (thread) {
      this.thread = await ManagementThread.start(
        { options: this.options, prefix: this.prefix, limits: this.limits, source: this.workerSource },
        {
          answer: (method, url, accept) => this.answer(method, url, accept),
          health: this.health,
          evaluator: this.evaluator,
          statusPages: this.statusPages,
        },
      );
      return this.logListening();
    }
    const listener = (request: IncomingMessage, response: ServerResponse) => this.handle(request, response);
    try {
      this.server = await listenProbeServer(this.limits, host, port, listener);
    } catch (error) {
      throw new Error(MANAGEMENT_LISTEN_FAILED(host, port, (error as Error).message), { cause: error });
    }
    this.logListening();
  }

  /** Says once where the probes are served, since a `port` alone moves them off the app's port. */
  private logListening(): void {
    const address = this.address();
    if (address === null) return;
    const { path, serveOn, logger } = this.options;
    try {
      logger?.log(MANAGEMENT_LISTENING(hostPort(address), path, serveOn === 'port'));
    } catch {
      // A throwing logger costs its line, not the bootstrap of a server already listening.
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const { server, thread } = this;
    this.server = null;
    this.thread = null;
    await thread?.stop();
    if (server) await closeProbeServer(server);
  }

  /** What `method` on `url` (path and query) with `accept` gets on the management port (the worker thread asks this). */
  answer(method: string, url: string, accept: string | undefined): Promise<ManagementAnswer> {
    return new Promise((resolve) => this.serve(method, url, accept, (response, allow) => resolve({ response, allow })));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    if (this.statusPages?.servePort(this.prefix, request, response)) return;
    const method = request.method ?? '';
    const head = method === 'HEAD';
    this.serve(method, request.url ?? '/', request.headers.accept, (answer, allow) =>
      writeProbeResponse(response, answer, { head, closing: this.evaluator.isShuttingDown(), allow }),
    );
  }

  /**
   * Answers `method` on `url` through `send`: at once for a refusal, else once the probe's response
   * is ready (one `then` on the responder's promise, the kubelet's request makes no other).
   */
  private serve(method: string, url: string, accept: string | undefined, send: Send): void {
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    if (path === '/metrics' && this.metrics.servesPrometheus) {
      void this.metricsAnswer(method).then(({ response, allow }) => send(response, allow));
      return;
    }
    const match = matchRoute(this.prefix, method, path, this.served);
    if (match.refused !== undefined)
      return send(REFUSED[match.refused], match.refused === 405 ? ALLOWED_METHODS : undefined);
    const { kind, check } = match.route;
    const failed = (error: unknown): void =>
      send(transportFailure(kind, error, this.options.failureStatusCode, this.options.logger));
    try {
      const view = parseView(queryAt === -1 ? undefined : new URLSearchParams(url.slice(queryAt + 1)), accept);
      void this.serializer.respond(kind, check === undefined ? view : { ...view, check }).then(send, failed);
    } catch (error) {
      failed(error);
    }
  }

  /** `GET /metrics`: the Prometheus text exposition of the configured registry. */
  private async metricsAnswer(method: string): Promise<ManagementAnswer> {
    if (method !== 'GET' && method !== 'HEAD') return { response: REFUSED[405], allow: ALLOWED_METHODS };
    try {
      const text = await this.metrics.prometheusText();
      return { response: text ? { statusCode: 200, contentType: text.contentType, body: text.body } : REFUSED[404] };
    } catch (error) {
      this.options.logger?.error(METRICS_FAILED(oneLine(reasonOf(error))));
      const body = 'metrics could not be collected\n';
      return { response: { statusCode: 500, contentType: 'text/plain; charset=utf-8', body } };
    }
  }
}
