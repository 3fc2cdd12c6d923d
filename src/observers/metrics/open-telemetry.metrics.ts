import type { RegisteredCheck } from '../../discovery/probe.registry.js';
import type { CheckOutcome } from '../../state/check-outcome.js';
import { type CheckSeries, DURATION_BUCKETS, HELP, metricNames, type MetricsSource } from './metrics.source.js';

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
  success: Attributes;
  failure: Attributes;
  timeout: Attributes;
  toPassing: Attributes;
  toFailing: Attributes;
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
    this.gauge(meter, names.checkStatus, HELP.checkStatus, (result) => {
      for (const { probe, check, status } of source.checks()) result.observe(status ? 1 : 0, { probe, check });
    });
    this.gauge(meter, names.checkStale, HELP.checkStale, (result) => {
      for (const { probe, check, stale } of source.checks()) result.observe(stale ? 1 : 0, { probe, check });
    });
    this.gauge(meter, names.probeStatus, HELP.probeStatus, (result) => {
      for (const { probe, status } of source.probes()) result.observe(status ? 1 : 0, { probe });
    });
    this.gauge(meter, names.probeDegraded, HELP.probeDegraded, (result) => {
      for (const { probe, degraded } of source.probes()) result.observe(degraded ? 1 : 0, { probe });
    });
    this.gauge(meter, names.inRotation, HELP.inRotation, (result) => result.observe(source.inRotation() ? 1 : 0));
    this.gauge(meter, names.mainLoopLag, HELP.mainLoopLag, (result) => result.observe(source.mainLoopLagSeconds()));
  }

  result(check: RegisteredCheck, raw: CheckOutcome, durationMs: number): void {
    if (check.kind === 'environ') return;
    const attributes = this.attributesOf(check);
    if (!attributes) return;
    this.duration.record(durationMs / 1000, attributes.check);
    this.runs.add(1, raw.timedOut ? attributes.timeout : raw.status ? attributes.success : attributes.failure);
  }

  transition(check: RegisteredCheck, status: boolean): void {
    if (check.kind === 'environ') return;
    const attributes = this.attributesOf(check);
    if (!attributes) return;
    this.transitions.add(1, status ? attributes.toPassing : attributes.toFailing);
  }

  forget(): void {
    this.attributes = new WeakMap();
  }

  /** Stops the gauges' callbacks (instruments cannot be removed from a meter). */
  dispose(): void {
    for (const remove of this.removals.splice(0)) remove();
  }

  private gauge(meter: Meter, name: string, description: string, callback: (result: ObservableResult) => void): void {
    const gauge = meter.createObservableGauge(name, { description });
    gauge.addCallback(callback);
    this.removals.push(() => gauge.removeCallback(callback));
  }

  /** The attributes of `check`; none for a check unregistered already (a late result of its last call). */
  private attributesOf(check: RegisteredCheck): CheckAttributes | undefined {
    let attributes = this.attributes.get(check);
    if (!attributes) {
      const label = this.source.label(check);
      if (label === undefined) return undefined;
      const labels = { probe: check.kind, check: label };
      attributes = {
        check: labels,
        success: { ...labels, result: 'success' },
        failure: { ...labels, result: 'failure' },
        timeout: { ...labels, result: 'timeout' },
        toPassing: { ...labels, to: 'passing' },
        toFailing: { ...labels, to: 'failing' },
      };
      this.attributes.set(check, attributes);
    }
    return attributes;
  }
}
