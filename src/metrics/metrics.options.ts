import { INVALID_METRICS_PREFIX, INVALID_OPTION } from '../heartbeat.messages.js';
import type {
  HeartbeatMetricsOptions,
  OpenTelemetryMeterLike,
  PrometheusRegistryLike,
} from '../interfaces/heartbeat-options.interface.js';

/** The metrics options with their defaults: `'default'` and `'global'` stand for prom-client's registry and the global meter. */
export interface ResolvedMetricsOptions {
  readonly prometheus: PrometheusRegistryLike | 'default' | null;
  readonly openTelemetry: OpenTelemetryMeterLike | 'global' | null;
  readonly prefix: string;
}

/** The keys of the `metrics` option. */
export const METRICS_OPTIONS = ['prometheus', 'openTelemetry', 'prefix'];

/** Checks the `metrics` option (its keys are checked by the caller) and applies its defaults. */
export function resolveMetricsOptions(metrics: HeartbeatMetricsOptions | undefined): ResolvedMetricsOptions {
  if (metrics === undefined) return { prometheus: null, openTelemetry: null, prefix: 'heartbeat' };
  if (metrics === null || typeof metrics !== 'object') {
    throw new Error(INVALID_OPTION('metrics', '{ prometheus?, openTelemetry?, prefix? }', metrics));
  }
  const { prometheus = false, openTelemetry = false, prefix = 'heartbeat' } = metrics;
  if (typeof prefix !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) {
    throw new Error(INVALID_METRICS_PREFIX(prefix));
  }
  if (
    typeof prometheus !== 'boolean' &&
    !hasMethods(prometheus, ['registerMetric', 'removeSingleMetric', 'getSingleMetric', 'metrics'])
  ) {
    throw new Error(INVALID_OPTION('metrics.prometheus', 'true, false or a prom-client Registry', prometheus));
  }
  if (
    typeof openTelemetry !== 'boolean' &&
    !hasMethods(openTelemetry, ['createCounter', 'createHistogram', 'createObservableGauge'])
  ) {
    throw new Error(INVALID_OPTION('metrics.openTelemetry', 'true, false or an OpenTelemetry Meter', openTelemetry));
  }
  return {
    prometheus: prometheus === true ? 'default' : prometheus === false ? null : prometheus,
    openTelemetry: openTelemetry === true ? 'global' : openTelemetry === false ? null : openTelemetry,
    prefix,
  };
}

function hasMethods(value: unknown, names: readonly string[]): boolean {
  if (value === null || typeof value !== 'object') return false;
  return names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function');
}
