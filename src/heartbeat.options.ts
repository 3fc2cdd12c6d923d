import { Logger, type LoggerService } from '@nestjs/common';
import { resolve as resolvePath } from 'node:path';
import { findPackageRoot } from './package-root.js';
import {
  DEFAULT_ABANDON_AFTER_MS,
  DEFAULT_FAILURE_STATUS_CODE,
  DEFAULT_PATH,
  DEFAULT_SHUTDOWN_DELAY_MS,
  DEFAULT_THREAD_INTERVAL_MS,
  DEFAULT_TIMEOUT_MS,
  isProbeName,
  PROBE_ROUTES,
} from './heartbeat.constants.js';
import { DECLARATION_ONLY_OPTION, INVALID_OPTION, UNKNOWN_OPTION } from './heartbeat.messages.js';
import type { HeartbeatRouteDeclaration } from './heartbeat.module-definition.js';
import type { HeartbeatCheck } from './interfaces/heartbeat-check.interface.js';
import type { HeartbeatModuleOptions } from './interfaces/heartbeat-options.interface.js';
import { closestName } from './option-names.js';
import { METRICS_OPTIONS, resolveMetricsOptions, type ResolvedMetricsOptions } from './metrics/metrics.options.js';
import { GRPC_OPTIONS, resolveGrpcOptions, type ResolvedGrpcOptions } from './grpc/grpc.options.js';
import { assertNonNegativeNumbers, assertSchedule, toProbeKind } from './discovery/probe.registry.js';
import { resolveThreadOptions, type ResolvedThreadOptions, THREAD_OPTIONS } from './transport/thread.options.js';

/** The module's options with every default applied, validated once at bootstrap. */
export interface ResolvedHeartbeatOptions {
  readonly failureStatusCode: number;
  readonly timeoutMs: number;
  readonly cacheTtlMs: number;
  readonly abandonAfterMs: number;
  readonly intervalMs: number;
  /** `undefined`: derived per check from its interval and timeout. */
  readonly staleAfterMs: number | undefined;
  readonly failureThreshold: number;
  readonly successThreshold: number;
  readonly details: 'safe' | 'always' | 'never';
  readonly logger: LoggerService | null;
  readonly shutdownDelayMs: number;
  readonly port: number | null;
  readonly host: string;
  readonly serveOn: 'app' | 'port' | 'both';
  readonly thread: ResolvedThreadOptions | null;
  /** The route prefix without leading or trailing slashes. */
  readonly path: string;
  /** Whether `routeDecorators` guard the app's routes. */
  readonly routeDecorated: boolean;
  readonly environ: {
    readonly enabled: boolean;
    readonly root: string;
    readonly env: readonly string[];
    /** `environ.public`, else whether `NODE_ENV` is not `production` (read once, here). */
    readonly public: boolean;
  };
  readonly checks: readonly { readonly kind: 'readiness' | 'liveliness' | 'startup'; readonly check: HeartbeatCheck }[];
  readonly metrics: ResolvedMetricsOptions;
  readonly responseFormat: 'json' | 'terminus';
  readonly grpc: ResolvedGrpcOptions;
}

/** Every option `forRoot()` and the `forRootAsync()` factory accept. */
const KNOWN_OPTIONS: readonly (keyof HeartbeatModuleOptions)[] = [
  'failureStatusCode',
  'timeoutMs',
  'cacheTtlMs',
  'abandonAfterMs',
  'intervalMs',
  'staleAfterMs',
  'failureThreshold',
  'successThreshold',
  'details',
  'logger',
  'shutdownDelayMs',
  'port',
  'host',
  'serveOn',
  'checks',
  'environ',
  'path',
  'metrics',
  'responseFormat',
  ...THREAD_OPTIONS,
  ...GRPC_OPTIONS,
];
/** Options that shape the module's declaration, so they cannot come from a factory. */
const DECLARATION_OPTIONS = ['isGlobal', 'routeDecorators', 'openApi'];
const ENVIRON_OPTIONS = ['root', 'env', 'public'];

/** Applies defaults and throws a readable error for an option that cannot work. */
export function resolveOptions(
  options: HeartbeatModuleOptions | undefined,
  route?: HeartbeatRouteDeclaration,
): ResolvedHeartbeatOptions {
  assertKnownKeys(options, KNOWN_OPTIONS, '');
  const {
    failureStatusCode = DEFAULT_FAILURE_STATUS_CODE,
    timeoutMs = DEFAULT_TIMEOUT_MS,
    cacheTtlMs = 0,
    abandonAfterMs = DEFAULT_ABANDON_AFTER_MS,
    intervalMs = options?.thread === true ? DEFAULT_THREAD_INTERVAL_MS : 0,
    staleAfterMs,
    failureThreshold = 1,
    successThreshold = 1,
    details = 'safe',
    logger,
    shutdownDelayMs = process.env.KUBERNETES_SERVICE_HOST ? DEFAULT_SHUTDOWN_DELAY_MS : 0,
    port,
    host = '127.0.0.1',
    serveOn = port === undefined ? 'app' : 'port',
    environ = {},
    checks = {},
    path = route?.path ?? DEFAULT_PATH,
    metrics,
    responseFormat = 'json',
  } = options ?? {};
  assertNumbers(failureStatusCode, port, { timeoutMs, cacheTtlMs, shutdownDelayMs, abandonAfterMs, staleAfterMs });
  assertSchedule('HeartbeatModule', { intervalMs, staleAfterMs, failureThreshold, successThreshold });
  assertChoices({ serveOn, port, details, path, responseFormat });
  const thread = resolveThreadOptions(options, intervalMs);
  return {
    failureStatusCode,
    timeoutMs,
    cacheTtlMs,
    abandonAfterMs,
    intervalMs,
    staleAfterMs,
    failureThreshold,
    successThreshold,
    details,
    logger: logger === false ? null : (logger ?? new Logger('Heartbeat')),
    shutdownDelayMs,
    port: port ?? null,
    host,
    serveOn,
    thread,
    path: path.replace(/^\/+|\/+$/g, ''),
    routeDecorated: route?.decorated ?? false,
    environ: environOptionsOf(environ),
    checks: configuredChecks(checks),
    metrics: metricsOptionsOf(metrics),
    responseFormat,
    grpc: resolveGrpcOptions(options ?? {}),
  };
}

/** The options that take one of a few values, each one of them. */
function assertChoices({ serveOn, port, details, path, responseFormat }: Record<string, unknown>): void {
  if (serveOn !== 'app' && serveOn !== 'port' && serveOn !== 'both') {
    throw new Error(INVALID_OPTION('serveOn', "'app', 'port' or 'both'", serveOn));
  }
  if (serveOn !== 'app' && port === undefined) {
    throw new Error(INVALID_OPTION('serveOn', `'app' unless a port is set`, serveOn));
  }
  if (details !== 'safe' && details !== 'always' && details !== 'never') {
    throw new Error(INVALID_OPTION('details', "'safe', 'always' or 'never'", details));
  }
  if (typeof path !== 'string') throw new Error(INVALID_OPTION('path', 'a string', path));
  if (responseFormat !== 'json' && responseFormat !== 'terminus') {
    throw new Error(INVALID_OPTION('responseFormat', "'json' or 'terminus'", responseFormat));
  }
}

/** The status code, the port and the durations, each in its range. */
function assertNumbers(failureStatusCode: number, port: number | undefined, durations: Record<string, unknown>): void {
  if (!Number.isInteger(failureStatusCode) || failureStatusCode < 400 || failureStatusCode > 599) {
    throw new Error(INVALID_OPTION('failureStatusCode', 'an integer from 400 to 599', failureStatusCode));
  }
  assertNonNegativeNumbers('HeartbeatModule', durations);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new Error(INVALID_OPTION('port', 'an integer from 0 to 65535', port));
  }
}

function metricsOptionsOf(metrics: HeartbeatModuleOptions['metrics']): ResolvedMetricsOptions {
  assertKnownKeys(metrics, METRICS_OPTIONS, 'metrics.');
  return resolveMetricsOptions(metrics);
}

/** The environ options, checked, with the app root resolved. */
function environOptionsOf(
  environ: NonNullable<HeartbeatModuleOptions['environ']>,
): ResolvedHeartbeatOptions['environ'] {
  const environOptions = environ === false ? {} : environ;
  assertKnownKeys(environOptions, ENVIRON_OPTIONS, 'environ.');
  const { env, public: isPublic = process.env.NODE_ENV !== 'production' } = environOptions;
  if (env !== undefined && (!Array.isArray(env) || env.some((name) => typeof name !== 'string'))) {
    throw new Error(INVALID_OPTION('environ.env', 'an array of variable names', env));
  }
  if (typeof isPublic !== 'boolean') throw new Error(INVALID_OPTION('environ.public', 'true or false', isPublic));
  return {
    enabled: environ !== false,
    root: resolvePath(environOptions.root ?? findPackageRoot()),
    env: [...(env ?? [])],
    public: isPublic,
  };
}

function configuredChecks(checks: NonNullable<HeartbeatModuleOptions['checks']>): ResolvedHeartbeatOptions['checks'] {
  return Object.entries(checks).flatMap(([kind, list]) => {
    if (!isProbeName(kind) || PROBE_ROUTES[kind] === 'environ' || !Array.isArray(list)) {
      throw new Error(
        INVALID_OPTION(`checks.${kind}`, 'an array of checks under readiness, liveliness or startup', list),
      );
    }
    return list.map((check: HeartbeatCheck) => {
      if (!check || typeof check.run !== 'function')
        throw new Error(INVALID_OPTION(`checks.${kind}`, 'made of checks such as eventLoopDelayCheck()', check));
      return { kind: toProbeKind(kind) as 'readiness' | 'liveliness' | 'startup', check };
    });
  });
}

/** Fails on a key no version of the option accepts (a typo such as `timeoutMS`), naming the closest known one. */
function assertKnownKeys(options: object | undefined, known: readonly string[], prefix: string): void {
  if (options === null || typeof options !== 'object') return;
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    if (!prefix && DECLARATION_OPTIONS.includes(key)) throw new Error(DECLARATION_ONLY_OPTION(key));
    const closest = closestName(key, known);
    throw new Error(UNKNOWN_OPTION(prefix + key, closest && prefix + closest, prefix + known.join(`, ${prefix}`)));
  }
}
