import { applyRules } from './option-reader.js';
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

/** The keys of the `metrics` option. */
export const METRICS_OPTIONS = ['prometheus', 'openTelemetry', 'prefix'];

const OWNER = 'HeartbeatModule';
const PREFIX = rule<string>(
  'a name of letters, digits and underscores, not starting with a digit',
  (value) => typeof value === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(value),
);
const PROMETHEUS = either(
  'true, false or a prom-client Registry',
  BOOLEAN,
  withMethods<PrometheusRegistryLike>('', ['registerMetric', 'removeSingleMetric', 'getSingleMetric', 'metrics']),
);
const OPEN_TELEMETRY = either(
  'true, false or an OpenTelemetry Meter',
  BOOLEAN,
  withMethods<OpenTelemetryMeterLike>('', ['createCounter', 'createHistogram', 'createObservableGauge']),
);

/** Checks the `metrics` option (read, its keys checked, by the caller) and applies its defaults. */
export function resolveMetricsOptions(metrics: HeartbeatMetricsOptions | undefined): ResolvedMetricsOptions {
  if (metrics === undefined) return { prometheus: null, openTelemetry: null, prefix: 'heartbeat' };
  const {
    prometheus = false,
    openTelemetry = false,
    prefix = 'heartbeat',
  } = applyRules(
    OWNER,
    metrics,
    { prometheus: PROMETHEUS, openTelemetry: OPEN_TELEMETRY, prefix: PREFIX },
    'metrics.',
  ) as HeartbeatMetricsOptions;
  return {
    prometheus: prometheus === true ? 'default' : prometheus === false ? null : prometheus,
    openTelemetry: openTelemetry === true ? 'global' : openTelemetry === false ? null : openTelemetry,
    prefix,
  };
}
