import type { RegisteredCheck } from '../discovery/probe.registry.js';
import type { PrometheusRegistryLike } from '../interfaces/heartbeat-options.interface.js';
import type { ResultObserver } from '../run/health-state.js';
import type { CheckOutcome } from '../run/probe-result.normalizer.js';
import { DURATION_BUCKETS, HELP, metricNames, type MetricsSource } from './metrics.source.js';

/** A metric with labels, as prom-client's Counter and Histogram are. */
interface Labelled {
  labels(...values: string[]): { inc(value?: number): void; observe(value: number): void };
}

/** prom-client's Gauge, as far as the module uses it (in a `collect` callback). */
interface Gauge {
  reset(): void;
  set(labels: Record<string, string>, value: number): void;
  set(value: number): void;
}

/** The parts of the prom-client module the metrics use. */
export interface PromClient {
  Gauge: new (config: object) => Gauge;
  Counter: new (config: object) => Labelled;
  Histogram: new (config: object) => Labelled;
  register: PrometheusRegistryLike;
}

/** The series of one check, made once so that recording a result allocates nothing of ours. */
interface CheckSeries {
  duration: { observe(value: number): void };
  success: { inc(): void };
  failure: { inc(): void };
  timeout: { inc(): void };
  toPassing: { inc(): void };
  toFailing: { inc(): void };
}

/**
 * The Prometheus metrics, registered on `registry`: counters and the histogram recorded on each
 * result, gauges computed from the health state when the registry is collected (scraped).
 */
export class PrometheusMetrics implements ResultObserver {
  private readonly series = new WeakMap<RegisteredCheck, CheckSeries>();
  private readonly names: ReturnType<typeof metricNames>;
  private readonly duration: Labelled;
  private readonly runs: Labelled;
  private readonly transitions: Labelled;

  constructor(
    client: PromClient,
    readonly registry: PrometheusRegistryLike,
    prefix: string,
    private readonly source: MetricsSource,
  ) {
    const names = (this.names = metricNames(prefix, '_'));
    // All or nothing: a name already taken fails before any metric is registered.
    for (const name of Object.values(names)) {
      if (registry.getSingleMetric(name)) throw new Error(`a metric named ${name} is already registered`);
    }
    const registers = [registry];
    const check = ['probe', 'check'];
    new client.Gauge({
      name: names.checkStatus,
      help: HELP.checkStatus,
      labelNames: check,
      registers,
      collect(this: Gauge) {
        this.reset();
        for (const { probe, check, status } of source.checks()) this.set({ probe, check }, status ? 1 : 0);
      },
    });
    this.duration = new client.Histogram({
      name: names.checkDuration,
      help: HELP.checkDuration,
      labelNames: check,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.runs = new client.Counter({
      name: names.checkRuns,
      help: HELP.checkRuns,
      labelNames: [...check, 'result'],
      registers,
    });
    this.transitions = new client.Counter({
      name: names.checkTransitions,
      help: HELP.checkTransitions,
      labelNames: [...check, 'to'],
      registers,
    });
    registerProbeGauges(client, names, registers, source);
  }

  result(check: RegisteredCheck, raw: CheckOutcome, durationMs: number): void {
    if (check.kind === 'environ') return;
    const series = this.seriesOf(check);
    series.duration.observe(durationMs / 1000);
    (raw.timedOut ? series.timeout : raw.status ? series.success : series.failure).inc();
  }

  transition(check: RegisteredCheck, status: boolean): void {
    if (check.kind === 'environ') return;
    const series = this.seriesOf(check);
    (status ? series.toPassing : series.toFailing).inc();
  }

  /** Removes the module's metrics from the registry (at shutdown, so a new app can register them again). */
  dispose(): void {
    for (const name of Object.values(this.names)) this.registry.removeSingleMetric(name);
  }

  private seriesOf(check: RegisteredCheck): CheckSeries {
    let series = this.series.get(check);
    if (!series) {
      const labels = [check.kind, this.source.label(check)];
      const run = (result: string) => this.runs.labels(...labels, result);
      const to = (status: string) => this.transitions.labels(...labels, status);
      series = {
        duration: this.duration.labels(...labels),
        success: run('success'),
        failure: run('failure'),
        timeout: run('timeout'),
        toPassing: to('passing'),
        toFailing: to('failing'),
      };
      // Every series exists from the first result, so that rate() and increase() see it start at 0.
      for (const counter of [series.success, series.failure, series.timeout, series.toPassing, series.toFailing]) {
        (counter as { inc(value?: number): void }).inc(0);
      }
      this.series.set(check, series);
    }
    return series;
  }
}

/** The gauges of the probes and of the rotation, read from the health state when collected. */
function registerProbeGauges(
  client: PromClient,
  names: ReturnType<typeof metricNames>,
  registers: PrometheusRegistryLike[],
  source: MetricsSource,
): void {
  new client.Gauge({
    name: names.probeStatus,
    help: HELP.probeStatus,
    labelNames: ['probe'],
    registers,
    collect(this: Gauge) {
      this.reset();
      for (const { probe, status } of source.probes()) this.set({ probe }, status ? 1 : 0);
    },
  });
  new client.Gauge({
    name: names.inRotation,
    help: HELP.inRotation,
    registers,
    collect(this: Gauge) {
      this.set(source.inRotation() ? 1 : 0);
    },
  });
}
