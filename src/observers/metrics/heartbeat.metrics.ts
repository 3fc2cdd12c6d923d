import { HEALTH_PROBES } from '../../probe/probe-kinds.js';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit, Optional } from '@nestjs/common';
import { ProbeRegistry, type RegisteredCheck } from '../../discovery/probe.registry.js';
import { HEARTBEAT_RESOLVED_OPTIONS } from '../../heartbeat.constants.js';
import { METRICS_NOT_REGISTERED, METRICS_PACKAGE_MISSING } from '../../heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from '../../heartbeat.options.js';
import { HeartbeatService } from '../../heartbeat.service.js';
import { HealthState } from '../../state/health-state.js';
import { checkName } from '../../probe/check-name.js';
import { oneLine, reasonOf } from '../../util/text.js';
import { importPackage, loadPeer, PACKAGE_LOADER, type PackageLoader } from '../../util/package-loader.js';
import { freeKey } from '../../report/evaluation.js';
import { MainLoopLag } from './main-loop-lag.js';
import { type CheckSeries, type MetricsSource } from './metrics.source.js';
import { type Meter, OpenTelemetryMetrics } from './open-telemetry.metrics.js';
import { type PromClient, PrometheusMetrics } from './prometheus.metrics.js';

export { PACKAGE_LOADER, type PackageLoader } from '../../util/package-loader.js';

/** The part of `@opentelemetry/api` the metrics use. */
interface OpenTelemetryApi {
  metrics: { getMeter(name: string): Meter };
}

/**
 * The metrics of every check, in Prometheus and OpenTelemetry, each switched on by the `metrics`
 * option. The packages are loaded at module init only when asked for, and a missing one fails the
 * bootstrap naming it. Recording happens in the health state's observers; the gauges read the
 * state when they are collected.
 */
@Injectable()
export class HeartbeatMetrics implements OnModuleInit, OnApplicationShutdown, MetricsSource {
  private prometheus: PrometheusMetrics | null = null;
  private readonly stops: (() => void)[] = [];
  private readonly series: CheckSeries[] = [];
  private readonly lag = new MainLoopLag();
  /** The labels of each list of checks the registry holds: it makes a new list on each change. */
  private readonly labels = new WeakMap<readonly RegisteredCheck[], Map<RegisteredCheck, string>>();

  constructor(
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
    private readonly health: HealthState,
    private readonly registry: ProbeRegistry,
    private readonly service: HeartbeatService,
    @Optional() @Inject(PACKAGE_LOADER) private readonly load: PackageLoader = importPackage,
  ) {}

  async onModuleInit(): Promise<void> {
    try {
      await this.start();
    } catch (error) {
      // Nothing half-registered stays behind a failed bootstrap.
      this.onApplicationShutdown();
      throw error;
    }
  }

  private async start(): Promise<void> {
    const { prometheus, openTelemetry, prefix } = this.options.metrics;
    // Every package is loaded before anything is registered, so a missing one leaves nothing behind.
    const client = prometheus ? await this.loadPackage<PromClient>('prometheus', 'prom-client', 'register') : null;
    const api =
      openTelemetry === 'global'
        ? await this.loadPackage<OpenTelemetryApi>('openTelemetry', '@opentelemetry/api', 'metrics')
        : null;
    if (client && prometheus) {
      const registry = prometheus === 'default' ? client.register : prometheus;
      try {
        this.prometheus = this.add(new PrometheusMetrics(registry, prefix, this));
      } catch (error) {
        throw new Error(METRICS_NOT_REGISTERED(oneLine(reasonOf(error))), { cause: error });
      }
    }
    if (openTelemetry) {
      const meter = api ? api.metrics.getMeter('nestjs-heartbeat') : (openTelemetry as unknown as Meter);
      this.add(new OpenTelemetryMetrics(meter, prefix, this));
    }
    if (this.series.length) {
      this.stops.push(this.registry.watch((check, added) => added || this.forget(check)));
      this.lag.start();
      this.stops.push(() => this.lag.stop());
    }
  }

  /** Records results in `series` until shutdown. */
  private add<T extends CheckSeries & { dispose(): void }>(series: T): T {
    this.series.push(series);
    this.stops.push(this.health.observe(series), () => series.dispose());
    return series;
  }

  /** An unregistered check's series go. */
  private forget(check: RegisteredCheck): void {
    for (const series of this.series) series.forget(check);
  }

  /** Unregisters the Prometheus metrics and stops the OpenTelemetry callbacks. */
  onApplicationShutdown(): void {
    for (const stop of this.stops.splice(0)) {
      try {
        stop();
      } catch {
        // One registry that fails to unregister does not keep the others registered.
      }
    }
    this.prometheus = null;
    this.series.length = 0;
  }

  /** Whether Prometheus is on (the management port then serves `GET /metrics`). */
  get servesPrometheus(): boolean {
    return this.prometheus !== null;
  }

  /** The Prometheus text exposition of the configured registry, or `null` when Prometheus is off. */
  async prometheusText(): Promise<{ contentType: string; body: string } | null> {
    const registry = this.prometheus?.registry;
    if (!registry) return null;
    return { contentType: registry.contentType, body: await registry.metrics() };
  }

  checks(): { probe: string; check: string; status: boolean; stale: boolean }[] {
    return HEALTH_PROBES.flatMap((probe) =>
      this.registry.get(probe).flatMap((check) => {
        const { reported, stale } = this.health.recordOf(check);
        const label = this.label(check);
        return reported && label !== undefined ? [{ probe, check: label, status: reported.status, stale }] : [];
      }),
    );
  }

  probes(): { probe: string; status: boolean; degraded: boolean }[] {
    const { probes } = this.service.state();
    return HEALTH_PROBES.flatMap((probe) => {
      const { status, degraded } = probes[probe];
      return status === null ? [] : [{ probe, status, degraded }];
    });
  }

  inRotation(): boolean {
    return this.service.isInRotation();
  }

  mainLoopLagSeconds(): number {
    return this.lag.seconds();
  }

  label(check: RegisteredCheck): string | undefined {
    const checks = this.registry.get(check.kind);
    let labels = this.labels.get(checks);
    if (!labels) {
      // The report's rule, among the checks registered now: a name given again gets its label back.
      labels = new Map();
      const taken = Object.create(null) as Record<string, true>;
      for (const candidate of checks) {
        // The name as bodies show it (secrets masked, one line, capped): a label is bytes that leave too.
        const label = freeKey(taken, checkName(candidate.name));
        taken[label] = true;
        labels.set(candidate, label);
      }
      this.labels.set(checks, labels);
    }
    return labels.get(check);
  }

  /** The package `name` the option `option` needs; a missing one fails the bootstrap naming it. */
  private loadPackage<T>(option: string, name: string, member: string): Promise<T> {
    return loadPeer<T>(this.load, name, member, (reason) => METRICS_PACKAGE_MISSING(option, name, reason));
  }
}
