import { MAX_TIMER_MS } from '../heartbeat.constants.js';
import { GRPC_SAME_PORT, INVALID_OPTION } from '../heartbeat.messages.js';
import type { HeartbeatModuleOptions } from '../interfaces/heartbeat-options.interface.js';
import { applyRules, MODULE_OWNER as OWNER } from './option-reader.js';
import { BOOLEAN, HOST, numberRule, PORT } from './option-rules.js';

/**
 * How often, while a `Watch` stream is open, the gRPC health service evaluates the watched probes:
 * one readiness period of the sample manifests. Background checks reach watchers without it.
 */
export const DEFAULT_GRPC_WATCH_INTERVAL_MS = 5000;
/** The shortest watch period: the shortest background `intervalMs` too. */
const MIN_GRPC_WATCH_INTERVAL_MS = 100;

/** The gRPC options with their defaults. */
export interface ResolvedGrpcOptions {
  /** Whether the grpc.health.v1 service is served (its packages are loaded at module init). */
  readonly enabled: boolean;
  /** The module's own gRPC server's port; `null`: none (the app adds the service to its own server). */
  readonly port: number | null;
  readonly host: string;
  readonly watchIntervalMs: number;
}

/** The top-level options of gRPC. */
export const GRPC_OPTIONS = ['grpc', 'grpcPort', 'grpcHost', 'grpcWatchIntervalMs'] as const;

const RULES = {
  grpc: BOOLEAN,
  grpcPort: PORT,
  grpcHost: HOST,
  grpcWatchIntervalMs: numberRule(`whole milliseconds from ${MIN_GRPC_WATCH_INTERVAL_MS} to ${MAX_TIMER_MS}`, {
    from: MIN_GRPC_WATCH_INTERVAL_MS,
    to: MAX_TIMER_MS,
    whole: true,
  }),
};

/** Checks the gRPC options and applies their defaults. */
export function resolveGrpcOptions(options: HeartbeatModuleOptions): ResolvedGrpcOptions {
  const {
    grpc,
    grpcPort,
    grpcHost = '127.0.0.1',
    grpcWatchIntervalMs = DEFAULT_GRPC_WATCH_INTERVAL_MS,
  } = applyRules(OWNER, options, RULES) as HeartbeatModuleOptions;
  if (grpc === false && grpcPort !== undefined) {
    throw new TypeError(INVALID_OPTION('grpc', 'true or left out when grpcPort is set', grpc));
  }
  if (grpcPort !== undefined && grpcPort !== 0 && grpcPort === options.port) throw new Error(GRPC_SAME_PORT(grpcPort));
  return {
    enabled: grpc === true || grpcPort !== undefined,
    port: grpcPort ?? null,
    host: grpcHost,
    watchIntervalMs: grpcWatchIntervalMs,
  };
}
