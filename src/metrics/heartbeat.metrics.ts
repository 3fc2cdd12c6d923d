import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit, Optional } from '@nestjs/common';
import { ProbeRegistry, type RegisteredCheck } from '../discovery/probe.registry.js';
import { HEALTH_PROBES, HEARTBEAT_RESOLVED_OPTIONS } from '../heartbeat.constants.js';
import { METRICS_NOT_REGISTERED, METRICS_PACKAGE_MISSING } from '../heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import { HeartbeatService } from '../heartbeat.service.js';
import { HealthState } from '../run/health-state.js';
import { oneLine, reasonOf } from '../run/outcome-text.js';
import { importPackage, loadPeer, PACKAGE_LOADER, type PackageLoader } from '../package-loader.js';
import { type MetricsSource } from './metrics.source.js';
import { type Meter, OpenTelemetryMetrics } from './open-telemetry.metrics.js';
import { type PromClient, PrometheusMetrics } from './prometheus.metrics.js';

export { PACKAGE_LOADER, type PackageLoader } from '../package-loader.js';

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
  private openTelemetry: OpenTelemetryMetrics | null = null;
  private readonly stops: (() => void)[] = [];
  private readonly labels = new WeakMap<RegisteredCheck, string>();
  /** How many checks of each probe and name have had a label: a label is never given twice. */
  private readonly labelled = new Map<string, number>();

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
    const client = prometheus ? await this.loadPackage<PromClient>('prometheus', 'prom-client', 'Gauge') : null;
    const api =
      openTelemetry === 'global'
        ? await this.loadPackage<OpenTelemetryApi>('openTelemetry', '@opentelemetry/api', 'metrics')
        : null;
    if (client && prometheus) {
      const registry = prometheus === 'default' ? client.register : prometheus;
      let metrics: PrometheusMetrics;
      try {
        metrics = new PrometheusMetrics(client, registry, prefix, this);
      } catch (error) {
        throw new Error(METRICS_NOT_REGISTERED(oneLine(reasonOf(error))), { cause: error });
      }
      this.prometheus = metrics;
      this.stops.push(this.health.observe(metrics), () => metrics.dispose());
    }
    if (openTelemetry) {
      const meter = api ? api.metrics.getMeter('nestjs-heartbeat') : (openTelemetry as unknown as Meter);
      const metrics = new OpenTelemetryMetrics(meter, prefix, this);
      this.openTelemetry = metrics;
      this.stops.push(this.health.observe(metrics), () => metrics.dispose());
    }
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
    this.openTelemetry = null;
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

  checks(): { probe: string; check: string; status: boolean }[] {
    const found: { probe: string; check: string; status: boolean }[] = [];
    for (const probe of HEALTH_PROBES) {
      for (const check of this.registry.get(probe)) {
        const { status } = this.health.check(check);
        if (status !== null) found.push({ probe, check: this.label(check), status });
      }
    }
    return found;
  }

  probes(): { probe: string; status: boolean }[] {
    const { probes } = this.service.state();
    return HEALTH_PROBES.flatMap((probe) => {
      const { status } = probes[probe];
      return status === null ? [] : [{ probe, status }];
    });
  }

  inRotation(): boolean {
    return this.service.isInRotation();
  }

  label(check: RegisteredCheck): string {
    let label = this.labels.get(check);
    if (label === undefined) {
      // In registration order: the checks of the probe not labelled yet get theirs first.
      for (const candidate of this.registry.get(check.kind)) {
        if (candidate.name === check.name && !this.labels.has(candidate)) this.assignLabel(candidate);
      }
      label = this.labels.get(check) ?? this.assignLabel(check);
    }
    return label;
  }

  private assignLabel(check: RegisteredCheck): string {
    const key = `${check.kind}\0${check.name}`;
    const n = (this.labelled.get(key) ?? 0) + 1;
    this.labelled.set(key, n);
    const label = n === 1 ? check.name : `${check.name}#${n}`;
    this.labels.set(check, label);
    return label;
  }

  /** The package `name` the option `option` needs; a missing one fails the bootstrap naming it. */
  private loadPackage<T>(option: string, name: string, member: string): Promise<T> {
    return loadPeer<T>(this.load, name, member, (reason) => METRICS_PACKAGE_MISSING(option, name, reason));
  }
}
