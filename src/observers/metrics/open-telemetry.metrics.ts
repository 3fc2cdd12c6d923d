import type { RegisteredCheck } from '../../discovery/probe.registry.js';
import type { CheckOutcome } from '../../state/check-outcome.js';
import {
  type CheckSeries,
  DURATION_BUCKETS,
  gauges,
  HELP,
  metricNames,
  type MetricsSource,
  resultOf,
  type Sample,
} from './metrics.source.js';

type Attributes = Readonly<Record<string, string>>;

/** What an observable gauge's callback is given. */
interface ObservableResult {
  observe(value: number, attributes?: Attributes): void;
}

/** An OpenTelemetry `Meter`, as far as the metrics use it. */
export interface Meter {
  createCounter(name: string, options?: object): { add(value: number, attributes?: Attributes): void };
  createHistogram(name: string, options?: object): { record(value: number, attributes?: Attributes): void };
  createObservableGauge(
    name: string,
    options?: object,
  ): {
    addCallback(callback: (result: ObservableResult) => void): void;
    removeCallback(callback: (result: ObservableResult) => void): void;
  };
}

/** The attributes of one check, made once so that recording a result allocates nothing of ours. */
interface CheckAttributes {
  check: Attributes;
  runs: Record<ReturnType<typeof resultOf>, Attributes>;
  transitions: { passing: Attributes; failing: Attributes };
}

/**
 * The OpenTelemetry metrics, on `meter`: counters and the histogram recorded on each result,
 * observable gauges read from the health state when the meter's reader collects (so they report
 * only the checks registered now). An unregistered check records nothing more, and a name
 * registered again reuses its attributes: the meter's attribute sets do not grow with the cycles.
 */
export class OpenTelemetryMetrics implements CheckSeries {
  /** Made again when a check is unregistered: the labels of the checks left may have changed. */
  private attributes = new WeakMap<RegisteredCheck, CheckAttributes>();
  private readonly duration: ReturnType<Meter['createHistogram']>;
  private readonly runs: ReturnType<Meter['createCounter']>;
  private readonly transitions: ReturnType<Meter['createCounter']>;
  private readonly removals: (() => void)[] = [];

  constructor(
    meter: Meter,
    prefix: string,
    private readonly source: MetricsSource,
  ) {
    const names = metricNames(prefix, '.');
    this.duration = meter.createHistogram(names.checkDuration, {
      description: HELP.checkDuration,
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    this.runs = meter.createCounter(names.checkRuns, { description: HELP.checkRuns });
    this.transitions = meter.createCounter(names.checkTransitions, { description: HELP.checkTransitions });
    for (const [key, read] of Object.entries(gauges(source)) as [keyof ReturnType<typeof gauges>, () => Sample[]][]) {
      const gauge = meter.createObservableGauge(names[key], { description: HELP[key] });
      const callback = (result: ObservableResult) => {
        for (const { labels, value } of read()) result.observe(value, labels);
      };
      gauge.addCallback(callback);
      this.removals.push(() => gauge.removeCallback(callback));
    }
  }

  result(check: RegisteredCheck, raw: CheckOutcome, durationMs: number): void {
    const attributes = this.attributesOf(check);
    if (!attributes) return;
    this.duration.record(durationMs / 1000, attributes.check);
    this.runs.add(1, attributes.runs[resultOf(raw)]);
  }

  transition(check: RegisteredCheck, status: boolean): void {
    const attributes = this.attributesOf(check);
    if (attributes) this.transitions.add(1, attributes.transitions[status ? 'passing' : 'failing']);
  }

  forget(): void {
    this.attributes = new WeakMap();
  }

  /** Stops the gauges' callbacks (instruments cannot be removed from a meter). */
  dispose(): void {
    for (const remove of this.removals.splice(0)) remove();
  }

  /** The attributes of `check`; none for environ, nor for a check unregistered already (a late result of its last call). */
  private attributesOf(check: RegisteredCheck): CheckAttributes | undefined {
    const known = this.attributes.get(check);
    if (known || check.kind === 'environ') return known;
    const label = this.source.label(check);
    if (label === undefined) return undefined;
    const labels = { probe: check.kind, check: label };
    const attributes = {
      check: labels,
      runs: {
        success: { ...labels, result: 'success' },
        failure: { ...labels, result: 'failure' },
        timeout: { ...labels, result: 'timeout' },
      },
      transitions: { passing: { ...labels, to: 'passing' }, failing: { ...labels, to: 'failing' } },
    };
    this.attributes.set(check, attributes);
    return attributes;
  }
}
