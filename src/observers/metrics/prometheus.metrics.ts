import type { RegisteredCheck } from '../../discovery/probe.registry.js';
import type { PrometheusRegistryLike } from '../../interfaces/heartbeat-options.interface.js';
import type { CheckOutcome } from '../../state/check-outcome.js';
import { CheckCounts, counted, type LabelledCounts } from './check-counts.js';
import {
  type CheckSeries,
  gauges,
  HELP,
  type MetricKey,
  metricNames,
  type MetricsSource,
  resultOf,
  type Sample,
} from './metrics.source.js';

/** The parts of the prom-client module the metrics use. */
export interface PromClient {
  register: PrometheusRegistryLike;
}

const TYPES: Partial<Record<MetricKey, string>> = {
  checkRuns: 'counter',
  checkTransitions: 'counter',
  checkDuration: 'histogram',
};

/**
 * The Prometheus metrics, registered on `registry` and read when it is collected (scraped): the
 * gauges from the health state, the counters from counts kept per check on each result. The series
 * follow the checks registered now: an unregistered check's counts are dropped, and the labels are
 * read when collected, so a name registered again reuses its label.
 */
export class PrometheusMetrics implements CheckSeries {
  /** The counts of the checks registered now, in the order of their first result. */
  private readonly counts = new Map<RegisteredCheck, CheckCounts>();
  private readonly names: ReturnType<typeof metricNames>;

  constructor(
    readonly registry: PrometheusRegistryLike,
    prefix: string,
    private readonly source: MetricsSource,
  ) {
    const names = (this.names = metricNames(prefix, '_'));
    // All or nothing: a name already taken fails before any metric is registered.
    for (const name of Object.values(names)) {
      if (registry.getSingleMetric(name)) throw new Error(`a metric named ${name} is already registered`);
    }
    const read = { ...gauges(source), ...counted(names.checkDuration, () => this.labelled()) };
    for (const key of Object.keys(names) as MetricKey[]) {
      registry.registerMetric(collected(names[key], HELP[key], TYPES[key] ?? 'gauge', read[key]));
    }
  }

  result(check: RegisteredCheck, raw: CheckOutcome, durationMs: number): void {
    const counts = this.countsOf(check);
    if (!counts) return;
    counts.observe(durationMs / 1000);
    counts.runs[resultOf(raw)]++;
  }

  transition(check: RegisteredCheck, status: boolean): void {
    const counts = this.countsOf(check);
    if (counts) counts.transitions[status ? 'passing' : 'failing']++;
  }

  /** Removes the module's metrics from the registry (at shutdown, so a new app can register them again). */
  dispose(): void {
    for (const name of Object.values(this.names)) this.registry.removeSingleMetric(name);
  }

  forget(check: RegisteredCheck): void {
    this.counts.delete(check);
  }

  /** The counts of `check`; none for environ, nor for a check unregistered already (a late result of its last call). */
  private countsOf(check: RegisteredCheck): CheckCounts | undefined {
    let counts = this.counts.get(check);
    if (!counts && check.kind !== 'environ' && this.source.label(check) !== undefined) {
      counts = new CheckCounts();
      this.counts.set(check, counts);
    }
    return counts;
  }

  /** Each check's counts with its labels as they are now. */
  private labelled(): LabelledCounts[] {
    const found: LabelledCounts[] = [];
    for (const [check, counts] of this.counts) {
      const label = this.source.label(check);
      if (label !== undefined) found.push({ probe: check.kind, check: label, counts });
    }
    return found;
  }
}

/**
 * A metric whose values are read when collected, in the shape `Registry.registerMetric` takes
 * (prom-client formats it, and sums it across a cluster).
 */
function collected(name: string, help: string, type: string, values: () => Sample[]) {
  return {
    name,
    help,
    type,
    aggregator: 'sum',
    get: () => Promise.resolve({ name, help, type, aggregator: 'sum', values: values() }),
    reset: () => undefined,
  };
}
