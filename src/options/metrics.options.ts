import { MODULE_OWNER as OWNER, readNested } from './option-reader.js';
import { BOOLEAN, either, rule, withMethods } from './option-rules.js';
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

const RULES = {
  prometheus: either(
    'true, false or a prom-client Registry',
    BOOLEAN,
    withMethods<PrometheusRegistryLike>('', ['registerMetric', 'removeSingleMetric', 'getSingleMetric', 'metrics']),
  ),
  openTelemetry: either(
    'true, false or an OpenTelemetry Meter',
    BOOLEAN,
    withMethods<OpenTelemetryMeterLike>('', ['createCounter', 'createHistogram', 'createObservableGauge']),
  ),
  prefix: rule<string>(
    'a name of letters, digits and underscores, not starting with a digit',
    (value) => typeof value === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(value),
  ),
};

/** Checks the `metrics` option and applies its defaults. */
export function resolveMetricsOptions(metrics: unknown): ResolvedMetricsOptions {
  const {
    prometheus = false,
    openTelemetry = false,
    prefix = 'heartbeat',
  } = readNested(OWNER, 'metrics', metrics, RULES) as HeartbeatMetricsOptions;
  return {
    prometheus: prometheus === true ? 'default' : prometheus === false ? null : prometheus,
    openTelemetry: openTelemetry === true ? 'global' : openTelemetry === false ? null : openTelemetry,
    prefix,
  };
}
