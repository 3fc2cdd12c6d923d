import { Logger, type LoggerService } from '@nestjs/common';
import { resolve as resolvePath } from 'node:path';
import { findPackageRoot } from './util/package-root.js';
import {
  DEFAULT_ABANDON_AFTER_MS,
  DEFAULT_FAILURE_STATUS_CODE,
  DEFAULT_PATH,
  DEFAULT_SHUTDOWN_DELAY_MS,
  DEFAULT_THREAD_INTERVAL_MS,
  DEFAULT_TIMEOUT_MS,
} from './heartbeat.constants.js';
import { DECLARATION_ONLY_OPTION, FACTORY_RESULT, INVALID_OPTION } from './heartbeat.messages.js';
import type { HeartbeatRouteDeclaration } from './heartbeat.constants.js';
import type { HeartbeatCheck } from './interfaces/heartbeat-check.interface.js';
import type { HeartbeatEnvironOptions, HeartbeatModuleOptions } from './interfaces/heartbeat-options.interface.js';
import { readCheck, SCHEDULE_RULES, toProbeKind } from './options/check-options.rules.js';
import { DECLARATION_RULES } from './options/declaration-options.js';
import { GRPC_OPTIONS, resolveGrpcOptions, type ResolvedGrpcOptions } from './options/grpc.options.js';
import { resolveMetricsOptions, type ResolvedMetricsOptions } from './options/metrics.options.js';
import { applyRules, MODULE_OWNER as OWNER, readNested, readOptions } from './options/option-reader.js';
import {
  arrayOf,
  BOOLEAN,
  DURATION,
  falseOrObject,
  HOST,
  isObject,
  LOGGER,
  numberRule,
  oneOf,
  optional,
  PORT,
  readOr,
  required,
  ROUTE_PREFIX,
  rule,
  textRule,
  trimSlashes,
} from './options/option-rules.js';
import { resolveStatusOptions, type ResolvedStatusOptions } from './options/status.options.js';
import { resolveThreadOptions, type ResolvedThreadOptions, THREAD_OPTIONS } from './options/thread.options.js';

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
  readonly statusPage: ResolvedStatusOptions | null;
}

/** Every option `forRoot()` and the `forRootAsync()` factory accept. */
export const KNOWN_OPTIONS: readonly (keyof HeartbeatModuleOptions)[] = [
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
  'statusPage',
  ...THREAD_OPTIONS,
  ...GRPC_OPTIONS,
];

/** The top-level options' rules; nested ones (`checks`, `environ`, `metrics`, thread, gRPC) have their own. */
const MODULE_RULES = {
  failureStatusCode: numberRule('an integer from 400 to 599', { from: 400, to: 599, whole: true }),
  ...SCHEDULE_RULES,
  shutdownDelayMs: DURATION,
  details: oneOf('safe', 'always', 'never'),
  logger: LOGGER,
  port: PORT,
  host: HOST,
  serveOn: oneOf('app', 'port', 'both'),
  path: ROUTE_PREFIX,
  responseFormat: oneOf('json', 'terminus'),
};

/** Applies defaults and throws a readable error, naming the option, for an option that cannot work. */
export function resolveOptions(options: unknown, route?: HeartbeatRouteDeclaration): ResolvedHeartbeatOptions {
  // `forRoot` checked its argument; anything else came from the forRootAsync factory. A revoked Proxy
  // passes here so that `readOptions` names it.
  if (options !== undefined && !readOr(() => isObject(options), true)) throw new TypeError(FACTORY_RESULT(options));
  const given = readOptions(options, {
    owner: OWNER,
    known: KNOWN_OPTIONS,
    // `path` is a module option too, so only the other declaration options reach here.
    misplaced: (key) => (Object.hasOwn(DECLARATION_RULES, key) ? DECLARATION_ONLY_OPTION(key) : undefined),
  }) as HeartbeatModuleOptions;
  const {
    failureStatusCode = DEFAULT_FAILURE_STATUS_CODE,
    timeoutMs = DEFAULT_TIMEOUT_MS,
    cacheTtlMs = 0,
    abandonAfterMs = DEFAULT_ABANDON_AFTER_MS,
    intervalMs = given.thread === true ? DEFAULT_THREAD_INTERVAL_MS : 0,
    staleAfterMs,
    failureThreshold = 1,
    successThreshold = 1,
    details = 'safe',
    logger,
    shutdownDelayMs = process.env.KUBERNETES_SERVICE_HOST ? DEFAULT_SHUTDOWN_DELAY_MS : 0,
    port,
    host = '127.0.0.1',
    serveOn = port === undefined ? 'app' : 'port',
    path = route?.path ?? DEFAULT_PATH,
    responseFormat = 'json',
  } = applyRules(OWNER, given, MODULE_RULES) as HeartbeatModuleOptions;
  if (serveOn !== 'app' && port === undefined) {
    throw new TypeError(INVALID_OPTION('serveOn', `'app' unless a port is set`, serveOn));
  }
  const thread = resolveThreadOptions(given, intervalMs);
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
    path: trimSlashes(path),
    routeDecorated: route?.decorated ?? false,
    environ: environOptionsOf(given.environ),
    checks: configuredChecks(given.checks),
    metrics: resolveMetricsOptions(given.metrics),
    responseFormat,
    grpc: resolveGrpcOptions(given),
    statusPage: resolveStatusOptions(given.statusPage),
  };
}

const ENVIRON = falseOrObject('environ options');
const ENVIRON_RULES = {
  root: textRule('a non-empty path'),
  env: arrayOf('an array of variable names', textRule('a variable name')),
  public: BOOLEAN,
};

/** The environ options, checked, with the app root resolved. */
function environOptionsOf(environ: unknown): ResolvedHeartbeatOptions['environ'] {
  optional(OWNER, 'environ', environ, ENVIRON);
  const {
    root,
    env,
    public: isPublic = process.env.NODE_ENV !== 'production',
  } = readNested(OWNER, 'environ', environ === false ? undefined : environ, ENVIRON_RULES) as HeartbeatEnvironOptions;
  return {
    enabled: environ !== false,
    root: resolvePath(root ?? findPackageRoot()),
    env: [...(env ?? [])],
    public: isPublic,
  };
}

const CHECK_LISTS = rule<object>('an object of check lists under readiness, liveliness or startup', isObject);
const CHECK_LIST = rule<unknown[]>('an array of checks such as eventLoopDelayCheck()', Array.isArray);

function configuredChecks(checks: unknown): ResolvedHeartbeatOptions['checks'] {
  if (checks === undefined) return [];
  const known = ['readiness', 'liveliness', 'liveness', 'startup'];
  const lists = readOptions(required(OWNER, 'checks', checks, CHECK_LISTS), {
    owner: OWNER,
    label: 'checks',
    prefix: 'checks.',
    known,
  });
  return Object.entries(lists).flatMap(([kind, list]) =>
    [...required(OWNER, `checks.${kind}`, list, CHECK_LIST)].map((item, index) => ({
      kind: toProbeKind(kind) as 'readiness' | 'liveliness' | 'startup',
      check: readCheck(OWNER, `checks.${kind}[${index}]`, item),
    })),
  );
}
