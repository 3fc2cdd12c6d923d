import type { LoggerService } from '@nestjs/common';
import type { HeartbeatCheck } from './heartbeat-check.interface.js';

/** Options of `HeartbeatModule.forRoot()`, also produced by the `forRootAsync()` factory. */
export interface HeartbeatModuleOptions {
  /**
   * Status code of a failing probe. Default 500, as the seed; 503 is the usual alternative.
   * Must be 400-599, since the kubelet counts any code below 400 as success.
   */
  failureStatusCode?: number;
  /** Per-check timeout in milliseconds. Default 800, so a whole probe fits the kubelet's default 1 s. */
  timeoutMs?: number;
  /** Serve each check's last result for this many milliseconds. Default 0 (every probe runs the checks). */
  cacheTtlMs?: number;
  /**
   * Run the check in the background every this many milliseconds (with ±10 % jitter, never
   * overlapping itself) and let probes answer its last result at once. Default 0: the check runs on
   * each probe request. Not for environ contributors.
   */
  intervalMs?: number;
  /**
   * A background result older than this many milliseconds fails the check (its loop is stuck).
   * Default `2 × (intervalMs × 1.1 + timeoutMs)`: two whole cycles at their longest.
   */
  staleAfterMs?: number;
  /** Raw results failing in a row before a passing check is reported failing. Default 1. */
  failureThreshold?: number;
  /** Raw results passing in a row before a failing check is reported passing again. Default 1. */
  successThreshold?: number;
  /**
   * How much a probe body tells. `'safe'` (default): names, statuses, the data handlers return and the
   * module's own messages (timeouts, invalid results, shutdown), but not the text of an error a handler
   * threw, which may hold a connection string or a key; that text goes to the log. `'always'` shows it
   * too (URL passwords masked); `'never'` keeps only names and statuses.
   */
  details?: 'safe' | 'always' | 'never';
  /**
   * A call of a handler that has not settled after this many milliseconds is abandoned and the handler
   * is called again (until then, probes wait for the pending call instead of piling up new ones).
   * Default 10000, one kubelet period; 0 never abandons.
   */
  abandonAfterMs?: number;
  /**
   * Route prefix, when it comes from the `forRootAsync` factory (e.g. read from `ConfigService`);
   * takes precedence over the `path` given beside the factory. Default `.well-known/heartbeat`.
   */
  path?: string;
  /** Where state changes of checks are logged; `false` silences them. Default: Nest's `Logger` with context `Heartbeat`. */
  logger?: LoggerService | false;
  /**
   * On SIGTERM (with `app.enableShutdownHooks()`), readiness fails at once and the module waits this
   * long before Nest closes the HTTP server, so requests routed while endpoints update are still served.
   * Default 5000 in Kubernetes (`KUBERNETES_SERVICE_HOST` is set), else 0, so that `nest start --watch`
   * can restart at once; 0 disables the wait.
   */
  shutdownDelayMs?: number;
  /** Serve the probes on a separate plain `node:http` server on this port (0 picks a free one). */
  port?: number;
  /** Address of the management server. Default `127.0.0.1`. */
  host?: string;
  /**
   * Serve the management port (`port`) from a worker thread with its own event loop, so that probes
   * answer at once while the app's loop is saturated by its traffic. Checks still run in the app, in
   * the background (`intervalMs`, default 5000 with this option; 0 is refused). Liveness fails only
   * when the app's loop makes no progress for `maxStallMs` (or a liveness check fails); readiness fails
   * while the loop runs more than `maxLagMs` late. Default `false`.
   */
  thread?: boolean;
  /** With `thread`: liveness fails once the app's event loop has made no progress for this long. Default 10000 (500 or more). */
  maxStallMs?: number;
  /** With `thread`: readiness fails while the app's event loop runs more than this late. Default 250 (100 or more). */
  maxLagMs?: number;
  /**
   * Where the routes are served: `'app'` (the app's HTTP server), `'port'` (the management server
   * only) or `'both'` (environ then stays on the management port). Default: `'port'` when `port` is
   * set, else `'app'`.
   */
  serveOn?: 'app' | 'port' | 'both';
  /**
   * Ready-made checks to switch on, per probe, e.g.
   * `{ liveliness: [eventLoopDelayCheck({ maxMs: 500 })], readiness: [tcpCheck({ host: 'db', port: 5432 })] }`.
   */
  checks?: Partial<Record<'readiness' | 'liveliness' | 'liveness' | 'startup', HeartbeatCheck[]>>;
  /** The environ report: `false` removes the route and its built-in contributors. */
  environ?: false | HeartbeatEnvironOptions;
  /**
   * The body a probe answers when the request names no format: `'json'` (default), the seed's
   * `{ status, checks }`; `'terminus'`, @nestjs/terminus's `{ status, info, error, details }` with its
   * status codes (503 on failure), for dashboards and alerts written against terminus. A request's
   * `?format=json` or `?format=terminus` wins.
   */
  responseFormat?: 'json' | 'terminus';
  /**
   * Metrics of every check, in Prometheus (`prom-client`) and OpenTelemetry (`@opentelemetry/api`),
   * each an optional peer dependency loaded only when asked for here.
   */
  metrics?: HeartbeatMetricsOptions;
  /**
   * Serve the standard gRPC Health Checking Protocol (`grpc.health.v1.Health`) from the probes: loads
   * the optional peer `grpc-health-check` at bootstrap so that `HeartbeatGrpcHealth.addToServer(server)`
   * can add it to the app's own gRPC server. Implied by `grpcPort`. Default `false`.
   */
  grpc?: boolean;
  /**
   * Serve the gRPC health service on a gRPC server of the module's own on this port (0 picks a free
   * one), for `grpc:` probes on any app. Needs `grpc-health-check` and `@grpc/grpc-js` installed.
   */
  grpcPort?: number;
  /** Address of that gRPC server. Default `127.0.0.1`; `0.0.0.0` lets the kubelet reach it. */
  grpcHost?: string;
  /**
   * While a `Watch` stream is open, the watched probes are evaluated every this many milliseconds, so
   * that checks run on request reach watchers too. Default 5000; 100 or more.
   */
  grpcWatchIntervalMs?: number;
  /** The live status page, history and events under the prefix (docs/status-page.md); `false` turns them off. */
  statusPage?: false | HeartbeatStatusPageOptions;
}

/** Options of the status page (`{path}/status`, `/history`, `/events`). */
export interface HeartbeatStatusPageOptions {
  /** Serve them on the app's port too without `routeDecorators` guarding it. Default `false` (management port only). */
  public?: boolean;
  /** Transitions kept per check (and per probe). Default 50. */
  historySize?: number;
  /** Transitions kept in all, whatever the number of checks. Default 5000. */
  historyLimit?: number;
  /** Event streams open at once; one more gets 503. Default 32. */
  maxSubscribers?: number;
  /** A comment line on each open event stream every this many milliseconds, so proxies keep it open. Default 15000. */
  keepAliveMs?: number;
}

/** A `prom-client` `Registry`, as far as the module uses it. */
export interface PrometheusRegistryLike {
  registerMetric(metric: unknown): void;
  removeSingleMetric(name: string): void;
  getSingleMetric(name: string): unknown;
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** An OpenTelemetry `Meter`, as far as the module uses it. */
export interface OpenTelemetryMeterLike {
  createCounter(name: string, options?: object): unknown;
  createHistogram(name: string, options?: object): unknown;
  createObservableGauge(name: string, options?: object): unknown;
}

/** Options of the metrics. */
export interface HeartbeatMetricsOptions {
  /**
   * `true`: register on prom-client's default registry (the one `@willsoto/nestjs-prometheus` and
   * `collectDefaultMetrics` use); a `Registry`: register on it. With `port`, the management port
   * also serves `GET /metrics` from it. Needs `prom-client` (^15) installed.
   */
  prometheus?: boolean | PrometheusRegistryLike;
  /**
   * `true`: use the global `MeterProvider` (`metrics.getMeter('nestjs-heartbeat')`); a `Meter`: use it.
   * Needs `@opentelemetry/api` (^1.9) installed.
   */
  openTelemetry?: boolean | OpenTelemetryMeterLike;
  /** The metrics' name prefix: `heartbeat_check_status`, `heartbeat.check.status`. Default `heartbeat`. */
  prefix?: string;
}

/** Options of the environ report. */
export interface HeartbeatEnvironOptions {
  /** Where the app is installed. Default: the directory of the nearest `package.json` at or above `process.cwd()`. */
  root?: string;
  /** Environment variables to report under `env` (e.g. `['GIT_SHA']`); nothing else of `process.env` is ever shown. */
  env?: string[];
  /**
   * Serve environ on the app's own (public) port. Default: `true` unless `NODE_ENV` is `production`;
   * in production environ answers 404 there unless this is `true` or `routeDecorators` guard the
   * routes. The management port always serves it.
   */
  public?: boolean;
}

/** Options fixed when the module is declared (they shape its routes), accepted by `forRoot` and `forRootAsync` alike. */
export interface HeartbeatModuleExtras {
  /** Route prefix of the probes. Default `.well-known/heartbeat`. */
  path: string;
  /** Register the module globally. Default `false`. */
  isGlobal: boolean;
  /**
   * Class decorators applied to the module's controller, e.g. your own `Public()` or `SkipThrottle()`,
   * so that global guards let the kubelet through.
   */
  routeDecorators: ClassDecorator[];
  /**
   * Show the probes' GET routes in OpenAPI documents (`@nestjs/swagger`). Default `false`: the
   * controller carries the metadata `@ApiExcludeController()` sets, so Swagger leaves it out. With
   * `true` only the GET routes are documented, never the 405 answers to other methods.
   */
  openApi: boolean;
}

/** A `forRootAsync` options class (`useClass` / `useExisting`) implements this. */
export interface HeartbeatOptionsFactory {
  createHeartbeatOptions(): HeartbeatModuleOptions | Promise<HeartbeatModuleOptions>;
}
