import { Logger, type LoggerService } from '@nestjs/common';
import { resolve as resolvePath } from 'node:path';
import { findPackageRoot } from './environ/package-root.js';
import { DEFAULT_FAILURE_STATUS_CODE, DEFAULT_SHUTDOWN_DELAY_MS, DEFAULT_TIMEOUT_MS } from './heartbeat.constants.js';
import { INVALID_OPTION } from './heartbeat.messages.js';
import type { HeartbeatCheck } from './interfaces/heartbeat-check.interface.js';
import type { HeartbeatModuleOptions } from './interfaces/heartbeat-options.interface.js';
import type { ProbeKind } from './interfaces/probe.interface.js';
import { assertNonNegativeNumbers, toProbeKind } from './probe.registry.js';

/** The module's options with every default applied, validated once at bootstrap. */
export interface ResolvedHeartbeatOptions {
  readonly failureStatusCode: number;
  readonly timeoutMs: number;
  readonly cacheTtlMs: number;
  readonly details: 'always' | 'never';
  readonly logger: LoggerService | null;
  readonly shutdownDelayMs: number;
  readonly port: number | null;
  readonly host: string;
  readonly serveOn: 'app' | 'port' | 'both';
  readonly environ: { readonly enabled: boolean; readonly root: string; readonly env: readonly string[] };
  readonly checks: readonly { readonly kind: 'readiness' | 'liveliness' | 'startup'; readonly check: HeartbeatCheck }[];
}

/** Applies defaults and throws a readable error for an option that cannot work. */
export function resolveOptions(options: HeartbeatModuleOptions | undefined): ResolvedHeartbeatOptions {
  const {
    failureStatusCode = DEFAULT_FAILURE_STATUS_CODE,
    timeoutMs = DEFAULT_TIMEOUT_MS,
    cacheTtlMs = 0,
    details = 'always',
    logger,
    shutdownDelayMs = DEFAULT_SHUTDOWN_DELAY_MS,
    port,
    host = '127.0.0.1',
    serveOn = port === undefined ? 'app' : 'port',
    environ = {},
    checks = {},
  } = options ?? {};
  const configuredChecks = Object.entries(checks).flatMap(([kind, list]) => {
    if (!['readiness', 'liveliness', 'liveness', 'startup'].includes(kind) || !Array.isArray(list)) {
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
  const environOptions = environ === false ? {} : environ;
  if (
    environOptions.env !== undefined &&
    (!Array.isArray(environOptions.env) || environOptions.env.some((name) => typeof name !== 'string'))
  ) {
    throw new Error(INVALID_OPTION('environ.env', 'an array of variable names', environOptions.env));
  }
  if (!Number.isInteger(failureStatusCode) || failureStatusCode < 400 || failureStatusCode > 599) {
    throw new Error(INVALID_OPTION('failureStatusCode', 'an integer from 400 to 599', failureStatusCode));
  }
  assertNonNegativeNumbers('HeartbeatModule', { timeoutMs, cacheTtlMs, shutdownDelayMs });
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new Error(INVALID_OPTION('port', 'an integer from 0 to 65535', port));
  }
  if (serveOn !== 'app' && serveOn !== 'port' && serveOn !== 'both') {
    throw new Error(INVALID_OPTION('serveOn', "'app', 'port' or 'both'", serveOn));
  }
  if (serveOn !== 'app' && port === undefined) {
    throw new Error(INVALID_OPTION('serveOn', `'app' unless a port is set`, serveOn));
  }
  if (details !== 'always' && details !== 'never') {
    throw new Error(INVALID_OPTION('details', "'always' or 'never'", details));
  }
  return {
    failureStatusCode,
    timeoutMs,
    cacheTtlMs,
    details,
    logger: logger === false ? null : (logger ?? new Logger('Heartbeat')),
    shutdownDelayMs,
    port: port ?? null,
    host,
    serveOn,
    environ: {
      enabled: environ !== false,
      root: resolvePath(environOptions.root ?? findPackageRoot()),
      env: [...(environOptions.env ?? [])],
    },
    checks: configuredChecks,
  };
}

/** Whether the app's own HTTP server serves `kind`: environ stays off it once a management port serves the probes. */
export function servedOnApp(options: ResolvedHeartbeatOptions, kind: ProbeKind): boolean {
  if (kind === 'environ' && !options.environ.enabled) return false;
  return options.serveOn === 'app' || (options.serveOn === 'both' && kind !== 'environ');
}
