import type { PrometheusRegistryLike } from '../../interfaces/heartbeat-options.interface.js';
import { DURATION_BUCKETS } from './metrics.source.js';

/**
 * One check's numbers, counted in place as its results come (a few additions, nothing allocated)
 * and read when Prometheus collects. prom-client's own Counter and Histogram hash their labels on
 * every call: with three checks that cost about 8 µs per probe in `npm run bench`.
 */
export class CheckCounts {
  /** Per bucket of DURATION_BUCKETS, the durations at most its bound and above the previous one. */
  readonly buckets = new Float64Array(DURATION_BUCKETS.length);
  sum = 0;
  count = 0;
  success = 0;
  failure = 0;
  timeout = 0;
  toPassing = 0;
  toFailing = 0;

  observe(seconds: number): void {
    for (let i = 0; i < DURATION_BUCKETS.length; i++) {
      if (seconds <= DURATION_BUCKETS[i]) {
        this.buckets[i]++;
        break;
      }
    }
    this.sum += seconds;
    this.count++;
  }
}

/** The counts of one check registered now, with its labels as they are now. */
export interface LabelledCounts {
  readonly probe: string;
  readonly check: string;
  readonly counts: CheckCounts;
}

interface MetricValue {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly metricName?: string;
}

/**
 * A metric of prom-client's registry whose values are read from `counts` when collected: the shape
 * `Registry.registerMetric` takes (prom-client formats it and aggregates it across a cluster).
 */
function collected(
  name: string,
  help: string,
  type: 'counter' | 'histogram',
  values: () => MetricValue[],
): { name: string; help: string; type: string; aggregator: string; get(): Promise<object>; reset(): void } {
  return {
    name,
    help,
    type,
    aggregator: 'sum',
    get: () => Promise.resolve({ name, help, type, aggregator: 'sum', values: values() }),
    reset: () => undefined,
  };
}

/** Registers the runs and transitions counters and the duration histogram, read from `current()` when collected. */
export function registerCounted(
  registry: PrometheusRegistryLike,
  names: { checkRuns: string; checkTransitions: string; checkDuration: string },
  help: { checkRuns: string; checkTransitions: string; checkDuration: string },
  current: () => readonly LabelledCounts[],
): void {
  registry.registerMetric(
    collected(names.checkRuns, help.checkRuns, 'counter', () =>
      current().flatMap(({ probe, check, counts: { success, failure, timeout } }) => [
        { labels: { probe, check, result: 'success' }, value: success },
        { labels: { probe, check, result: 'failure' }, value: failure },
        { labels: { probe, check, result: 'timeout' }, value: timeout },
      ]),
    ),
  );
  registry.registerMetric(
    collected(names.checkTransitions, help.checkTransitions, 'counter', () =>
      current().flatMap(({ probe, check, counts: { toPassing, toFailing } }) => [
        { labels: { probe, check, to: 'passing' }, value: toPassing },
        { labels: { probe, check, to: 'failing' }, value: toFailing },
      ]),
    ),
  );
  const bucket = `${names.checkDuration}_bucket`;
  registry.registerMetric(
    collected(names.checkDuration, help.checkDuration, 'histogram', () =>
      current().flatMap(({ probe, check, counts: { buckets, sum, count } }) => {
        const values: MetricValue[] = [];
        let cumulative = 0;
        for (let i = 0; i < DURATION_BUCKETS.length; i++) {
          cumulative += buckets[i];
          values.push({
            labels: { le: String(DURATION_BUCKETS[i]), probe, check },
            value: cumulative,
            metricName: bucket,
          });
        }
        values.push({ labels: { le: '+Inf', probe, check }, value: count, metricName: bucket });
        values.push({ labels: { probe, check }, value: sum, metricName: `${names.checkDuration}_sum` });
        values.push({ labels: { probe, check }, value: count, metricName: `${names.checkDuration}_count` });
        return values;
      }),
    ),
  );
}
