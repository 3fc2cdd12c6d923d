import { MAX_TIMER_MS } from '../heartbeat.constants.js';
import { GRPC_SAME_PORT, INVALID_OPTION } from '../heartbeat.messages.js';
import type { HeartbeatModuleOptions } from '../interfaces/heartbeat-options.interface.js';

/**
 * How often, by default, the gRPC health service evaluates the watched probes for its `Watch`
 * streams (only while one is open): one readiness period of the sample manifests. Checks that run in
 * the background (`intervalMs`) reach watchers as soon as their status changes, without it.
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

/** Checks the gRPC options and applies their defaults. */
export function resolveGrpcOptions(options: HeartbeatModuleOptions): ResolvedGrpcOptions {
  const { grpc, grpcPort, grpcHost = '127.0.0.1', grpcWatchIntervalMs = DEFAULT_GRPC_WATCH_INTERVAL_MS } = options;
  if (grpc !== undefined && typeof grpc !== 'boolean') throw new Error(INVALID_OPTION('grpc', 'true or false', grpc));
  if (grpcPort !== undefined && (!Number.isInteger(grpcPort) || grpcPort < 0 || grpcPort > 65535)) {
    throw new Error(INVALID_OPTION('grpcPort', 'an integer from 0 to 65535', grpcPort));
  }
  if (grpc === false && grpcPort !== undefined) {
    throw new Error(INVALID_OPTION('grpc', 'true or left out when grpcPort is set', grpc));
  }
  if (grpcPort !== undefined && grpcPort !== 0 && grpcPort === options.port) throw new Error(GRPC_SAME_PORT(grpcPort));
  if (typeof grpcHost !== 'string' || grpcHost === '') {
    throw new Error(INVALID_OPTION('grpcHost', 'a host name or address', grpcHost));
  }
  if (
    typeof grpcWatchIntervalMs !== 'number' ||
    !Number.isInteger(grpcWatchIntervalMs) ||
    grpcWatchIntervalMs < MIN_GRPC_WATCH_INTERVAL_MS ||
    grpcWatchIntervalMs > MAX_TIMER_MS
  ) {
    throw new Error(
      INVALID_OPTION('grpcWatchIntervalMs', `whole milliseconds from 100 to ${MAX_TIMER_MS}`, grpcWatchIntervalMs),
    );
  }
  return {
    enabled: grpc === true || grpcPort !== undefined,
    port: grpcPort ?? null,
    host: grpcHost,
    watchIntervalMs: grpcWatchIntervalMs,
  };
}
