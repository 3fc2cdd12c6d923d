import type { RegisteredCheck } from '../../discovery/probe.registry.js';
import type { PrometheusRegistryLike } from '../../interfaces/heartbeat-options.interface.js';
import type { CheckOutcome } from '../../state/check-outcome.js';
import { CheckCounts, type LabelledCounts, registerCounted } from './check-counts.js';
import { type CheckSeries, HELP, metricNames, type MetricsSource } from './metrics.source.js';

/** prom-client's Gauge, as far as the module uses it (in a `collect` callback). */
interface Gauge {
  reset(): void;
  set(labels: Record<string, string>, value: number): void;
  set(value: number): void;
}

/** The parts of the prom-client module the metrics use. */
export interface PromClient {
  Gauge: new (config: object) => Gauge;
  register: PrometheusRegistryLike;
}

/**
 * The Prometheus metrics, registered on `registry`: counts kept per check on each result (read,
 * like the gauges of the health state, when the registry is collected: scraped). The series follow
 * the checks registered now: an unregistered check's counts are dropped (its series leave the
 * exposition), and the labels are read when collected, so a name registered again reuses its label.
 */
export class PrometheusMetrics implements CheckSeries {
  /** The counts of the checks registered now, in the order of their first result. */
  private readonly counts = new Map<RegisteredCheck, CheckCounts>();
  private readonly names: ReturnType<typeof metricNames>;

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
    new client.Gauge({
      name: names.checkStatus,
      help: HELP.checkStatus,
      labelNames: ['probe', 'check'],
      registers,
      collect(this: Gauge) {
        this.reset();
        for (const { probe, check, status } of source.checks()) this.set({ probe, check }, status ? 1 : 0);
      },
    });
    new client.Gauge({
      name: names.checkStale,
      help: HELP.checkStale,
      labelNames: ['probe', 'check'],
      registers,
      collect(this: Gauge) {
        this.reset();
        for (const { probe, check, stale } of source.checks()) this.set({ probe, check }, stale ? 1 : 0);
      },
    });
    registerCounted(registry, names, HELP, () => this.labelled());
    registerProbeGauges(client, names, registers, source);
  }

  result(check: RegisteredCheck, raw: CheckOutcome, durationMs: number): void {
    if (check.kind === 'environ') return;
    const counts = this.countsOf(check);
    if (!counts) return;
    counts.observe(durationMs / 1000);
    if (raw.timedOut) counts.timeout++;
    else if (raw.status) counts.success++;
    else counts.failure++;
  }

  transition(check: RegisteredCheck, status: boolean): void {
    if (check.kind === 'environ') return;
    const counts = this.countsOf(check);
    if (!counts) return;
    if (status) counts.toPassing++;
    else counts.toFailing++;
  }

  /** Removes the module's metrics from the registry (at shutdown, so a new app can register them again). */
  dispose(): void {
    for (const name of Object.values(this.names)) this.registry.removeSingleMetric(name);
  }

  forget(check: RegisteredCheck): void {
    this.counts.delete(check);
  }

  /** The counts of `check`; none for a check unregistered already (a late result of its last call). */
  private countsOf(check: RegisteredCheck): CheckCounts | undefined {
    let counts = this.counts.get(check);
    if (!counts && this.source.label(check) !== undefined) {
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
    name: names.probeDegraded,
    help: HELP.probeDegraded,
    labelNames: ['probe'],
    registers,
    collect(this: Gauge) {
      this.reset();
      for (const { probe, degraded } of source.probes()) this.set({ probe }, degraded ? 1 : 0);
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
  new client.Gauge({
    name: names.mainLoopLag,
    help: HELP.mainLoopLag,
    registers,
    collect(this: Gauge) {
      this.set(source.mainLoopLagSeconds());
    },
  });
}
