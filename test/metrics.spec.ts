import type { INestApplication } from '@nestjs/common';
import { metrics as otelMetrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Registry, register as defaultRegistry } from 'prom-client';
import {
  HeartbeatManagementServer,
  HeartbeatMetrics,
  HeartbeatModule,
  HeartbeatService,
  ProbeRegistry,
} from '../src/index.js';
import { PACKAGE_LOADER } from '../src/observers/metrics/heartbeat.metrics.js';
import { Global, Module } from '@nestjs/common';
import { createApp } from './support/app.js';
import { gate } from './support/gate.js';
import { samples } from './support/prometheus-text.js';

/** Provides the module's package loader app-wide (the module reads it where it is declared). */
function loaderModule(load: (name: string) => Promise<unknown>) {
  @Global()
  @Module({ providers: [{ provide: PACKAGE_LOADER, useValue: load }], exports: [PACKAGE_LOADER] })
  class LoaderModule {}
  return LoaderModule;
}

/** A full garbage collection (`--expose-gc` switched on for this process at run time). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The data points of the metric `name` in a collection. */
function points(collected: ResourceMetrics, name: string): DataPoint<unknown>[] {
  for (const scope of collected.scopeMetrics) {
    for (const metric of scope.metrics)
      if (metric.descriptor.name === name) return metric.dataPoints as DataPoint<unknown>[];
  }
  return [];
}

describe('metrics', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function boot(options: Parameters<typeof HeartbeatModule.forRoot>[0], providers: unknown[] = []) {
    app = await createApp('express', {
      imports: [HeartbeatModule.forRoot({ logger: false, environ: false, ...options })],
      providers: providers as never[],
    });
    return { service: app.get(HeartbeatService), registry: app.get(ProbeRegistry) };
  }

  /** Registers a passing, a failing, a timing-out and a recovering check, and runs readiness twice. */
  async function exercise(service: HeartbeatService, registry: ProbeRegistry) {
    let recovered = false;
    const hung = gate();
    registry.register('readiness', () => true, { name: 'ok' });
    registry.register('readiness', () => false, { name: 'down' });
    registry.register('readiness', () => hung.promise, { name: 'slow', timeoutMs: 20, abandonAfterMs: 0 });
    registry.register('readiness', () => recovered, { name: 'flaky' });
    registry.register('liveness', () => true, { name: 'loop' });
    await service.readiness();
    recovered = true;
    await service.readiness();
    await service.liveness();
    return hung;
  }

  it('records every check in prom-client’s default registry', async () => {
    const { service, registry } = await boot({ metrics: { prometheus: true } });
    const hung = await exercise(service, registry);
    const found = samples(await defaultRegistry.metrics());
    expect(found.get('heartbeat_check_status{probe="readiness",check="ok"}')).toBe(1);
    expect(found.get('heartbeat_check_status{probe="readiness",check="down"}')).toBe(0);
    expect(found.get('heartbeat_check_status{probe="readiness",check="slow"}')).toBe(0);
    expect(found.get('heartbeat_check_status{probe="readiness",check="flaky"}')).toBe(1);
    expect(found.get('heartbeat_check_status{probe="liveliness",check="loop"}')).toBe(1);
    expect(found.get('heartbeat_check_runs_total{probe="readiness",check="ok",result="success"}')).toBe(2);
    expect(found.get('heartbeat_check_runs_total{probe="readiness",check="down",result="failure"}')).toBe(2);
    expect(found.get('heartbeat_check_runs_total{probe="readiness",check="down",result="success"}')).toBe(0);
    // The second probe joins the hung call (abandonAfterMs 0) and times out again: two timeouts.
    expect(found.get('heartbeat_check_runs_total{probe="readiness",check="slow",result="timeout"}')).toBe(2);
    expect(found.get('heartbeat_check_runs_total{probe="readiness",check="slow",result="failure"}')).toBe(0);
    // One transition: its first result is not one.
    expect(found.get('heartbeat_check_transitions_total{probe="readiness",check="flaky",to="passing"}')).toBe(1);
    expect(found.get('heartbeat_check_transitions_total{probe="readiness",check="flaky",to="failing"}')).toBe(0);
    expect(found.get('heartbeat_check_transitions_total{probe="readiness",check="down",to="failing"}')).toBe(0);
    expect(found.get('heartbeat_check_duration_seconds_count{probe="readiness",check="slow"}')).toBe(2);
    expect(found.get('heartbeat_check_duration_seconds_bucket{le="0.01",probe="readiness",check="slow"}')).toBe(0);
    expect(found.get('heartbeat_check_duration_seconds_bucket{le="+Inf",probe="readiness",check="slow"}')).toBe(2);
    expect(found.get('heartbeat_probe_status{probe="readiness"}')).toBe(0);
    expect(found.get('heartbeat_probe_status{probe="liveliness"}')).toBe(1);
    expect(found.has('heartbeat_probe_status{probe="startup"}')).toBe(true);
    expect(found.get('heartbeat_in_rotation')).toBe(1);
    service.takeOutOfRotation();
    expect(samples(await defaultRegistry.metrics()).get('heartbeat_in_rotation')).toBe(0);
    hung.resolve(true);
  });

  it('uses a given Registry, with a prefix, and leaves the default one alone', async () => {
    const own = new Registry();
    const { service, registry } = await boot({ metrics: { prometheus: own, prefix: 'orders_health' } });
    registry.register('readiness', () => true, { name: 'db' });
    registry.register('readiness', () => false, { name: 'db' });
    await service.readiness();
    const found = samples(await own.metrics());
    expect(found.get('orders_health_check_status{probe="readiness",check="db"}')).toBe(1);
    expect(found.get('orders_health_check_status{probe="readiness",check="db#2"}')).toBe(0);
    expect(await defaultRegistry.metrics()).not.toContain('health');
  });

  it('follows the registered checks: 2,000 register/unregister cycles leave the series of one, under the plain name', async () => {
    const own = new Registry();
    const { service, registry } = await boot({ metrics: { prometheus: own } });
    registry.register('readiness', () => true, { name: 'db' });
    /** One cycle, and the report's keys; with `scrape`, the exposition with `cyc` registered, then without it. */
    const cycle = async (scrape: boolean) => {
      const off = registry.register('readiness', () => false, { name: 'cyc' });
      const keys = Object.keys((await service.readiness()).checks);
      const during = scrape ? samples(await own.metrics()) : new Map<string, number>();
      off();
      return { keys, during, after: scrape ? samples(await own.metrics()) : new Map<string, number>() };
    };
    const first = await cycle(true);
    for (let i = 2; i < 2000; i++) expect((await cycle(false)).keys).toEqual(['db', 'cyc']);
    const last = await cycle(true);
    expect(first.keys).toEqual(['db', 'cyc']);
    expect(last.keys).toEqual(['db', 'cyc']);
    expect(last.during.get('heartbeat_check_status{probe="readiness",check="cyc"}')).toBe(0);
    expect(last.during.get('heartbeat_check_runs_total{probe="readiness",check="cyc",result="failure"}')).toBe(1);
    expect([...last.during.keys()]).toEqual([...first.during.keys()]);
    expect([...last.after.keys()]).toEqual([...first.after.keys()]);
    expect([...last.after.keys()].filter((series) => series.includes('cyc'))).toEqual([]);
    expect(last.after.get('heartbeat_check_runs_total{probe="readiness",check="db",result="success"}')).toBe(2000);
  });

  it('gives the suffixes among the checks registered now, as the report does', async () => {
    const own = new Registry();
    const { service, registry } = await boot({ metrics: { prometheus: own } });
    const offFirst = registry.register('readiness', () => true, { name: 'db' });
    registry.register('readiness', () => false, { name: 'db' });
    await service.readiness();
    offFirst();
    registry.register('readiness', () => true, { name: 'db' });
    expect(await service.readiness()).toEqual({
      status: false,
      checks: { db: { status: false }, 'db#2': { status: true } },
    });
    const found = samples(await own.metrics());
    expect(found.get('heartbeat_check_status{probe="readiness",check="db"}')).toBe(0);
    expect(found.get('heartbeat_check_status{probe="readiness",check="db#2"}')).toBe(1);
    expect([...found.keys()].filter((series) => series.includes('db#3'))).toEqual([]);
    // The check that was `db#2` is `db` now: its counts (two failures) under the plain name.
    expect(found.get('heartbeat_check_runs_total{probe="readiness",check="db",result="failure"}')).toBe(2);
    expect(found.get('heartbeat_check_runs_total{probe="readiness",check="db#2",result="success"}')).toBe(1);
  });

  it('keeps nothing of an unregistered check: the check itself can be collected', async () => {
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    try {
      const { service, registry } = await boot({
        metrics: { prometheus: new Registry(), openTelemetry: provider.getMeter('test') },
      });
      registry.register('readiness', () => true, { name: 'db' });
      /** A check run twice (one transition) and unregistered; only a weak reference to it is left. */
      const cycle = async () => {
        let passing = true;
        const off = registry.register('readiness', () => (passing = !passing), { name: 'cyc' });
        await service.readiness();
        await service.readiness();
        const ref = new WeakRef(registry.get('readiness')[1]);
        off();
        return ref;
      };
      const ref = await cycle();
      // Answers made while it was registered are not kept either.
      await service.readiness();
      expect(service.state().probes.readiness.checks.map(({ name }) => name)).toEqual(['db']);
      await new Promise((resolve) => setImmediate(resolve));
      collectGarbage();
      expect(ref.deref()).toBeUndefined();
    } finally {
      await provider.shutdown();
    }
  });

  it('reports to OpenTelemetry only the checks registered now, on attribute sets that do not grow with the cycles', async () => {
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    try {
      const { service, registry } = await boot({ metrics: { openTelemetry: provider.getMeter('test') } });
      registry.register('readiness', () => true, { name: 'db' });
      for (let i = 0; i < 2000; i++) {
        const off = registry.register('readiness', () => false, { name: 'cyc' });
        await service.readiness();
        off();
      }
      const { resourceMetrics } = await reader.collect();
      const checks = (name: string) => points(resourceMetrics, name).map(({ attributes }) => attributes.check);
      expect(checks('heartbeat.check.status')).toEqual(['db']);
      // Counters of a removed check stop where they were; the SDK keeps their last value.
      expect(checks('heartbeat.check.runs')).toEqual(['db', 'cyc']);
      expect(checks('heartbeat.check.duration')).toEqual(['db', 'cyc']);
      const runs = points(resourceMetrics, 'heartbeat.check.runs');
      expect(runs.find(({ attributes }) => attributes.check === 'cyc')?.value).toBe(2000);
    } finally {
      await provider.shutdown();
    }
  });

  it('registers nothing and loads nothing when off', async () => {
    const loaded: string[] = [];
    app = await createApp('express', {
      imports: [
        loaderModule((name) => (loaded.push(name), Promise.reject(new Error('no')))),
        HeartbeatModule.forRoot({ logger: false, environ: false }),
      ],
    });
    app.get(ProbeRegistry).register('readiness', () => true, { name: 'db' });
    await app.get(HeartbeatService).readiness();
    expect(loaded).toEqual([]);
    expect(await defaultRegistry.metrics()).not.toContain('heartbeat');
    expect(await app.get(HeartbeatMetrics).prometheusText()).toBeNull();
  });

  it('fails the bootstrap naming the package when it is not installed', async () => {
    const missing = (name: string) =>
      Promise.reject(Object.assign(new Error(`Cannot find module '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' }));
    for (const [metrics, name] of [
      [{ prometheus: true }, 'prom-client'],
      [{ openTelemetry: true }, '@opentelemetry/api'],
    ] as const) {
      await expect(
        createApp('express', {
          imports: [loaderModule(missing), HeartbeatModule.forRoot({ logger: false, environ: false, metrics })],
        }),
      ).rejects.toThrow(
        `metrics.${Object.keys(metrics)[0]} needs the package "${name}", which could not be loaded. Install it: npm install ${name} (Cannot find module '${name}')`,
      );
    }
  });

  it('unregisters at shutdown, so the next app registers again', async () => {
    const first = await boot({ metrics: { prometheus: true } });
    first.registry.register('readiness', () => true, { name: 'db' });
    await first.service.readiness();
    await app!.close();
    app = undefined;
    expect(await defaultRegistry.metrics()).not.toContain('heartbeat');
    const second = await boot({ metrics: { prometheus: true } });
    second.registry.register('readiness', () => false, { name: 'db' });
    await second.service.readiness();
    expect(samples(await defaultRegistry.metrics()).get('heartbeat_check_status{probe="readiness",check="db"}')).toBe(
      0,
    );
  });

  it('serves GET /metrics on the management port when Prometheus is on', async () => {
    const own = new Registry();
    const { service, registry } = await boot({ port: 0, metrics: { prometheus: own } });
    registry.register('readiness', () => true, { name: 'db' });
    await service.readiness();
    const { port } = app!.get(HeartbeatManagementServer).address()!;
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(own.contentType);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(samples(await response.text()).get('heartbeat_check_status{probe="readiness",check="db"}')).toBe(1);
    const head = await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
    const post = await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const probe = await fetch(`http://127.0.0.1:${port}/.well-known/heartbeat/readiness`);
    expect(probe.status).toBe(200);
  });

  it('answers 404 for /metrics on the port without Prometheus', async () => {
    await boot({ port: 0 });
    const { port } = app!.get(HeartbeatManagementServer).address()!;
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
  });

  it('fails the bootstrap of a second app on the same registry with a clear message, leaving the first one whole', async () => {
    const { service, registry } = await boot({ metrics: { prometheus: true } });
    registry.register('readiness', () => true, { name: 'db' });
    await expect(
      createApp('express', {
        imports: [HeartbeatModule.forRoot({ logger: false, environ: false, metrics: { prometheus: true } })],
      }),
    ).rejects.toThrow(
      'the Prometheus metrics could not be registered (a metric named heartbeat_check_status is already registered). Another app in this process may have registered them on the same registry',
    );
    await service.readiness();
    expect(samples(await defaultRegistry.metrics()).get('heartbeat_check_status{probe="readiness",check="db"}')).toBe(
      1,
    );
  });

  it('records in OpenTelemetry through a given Meter', async () => {
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    try {
      const { service, registry } = await boot({ metrics: { openTelemetry: provider.getMeter('test') } });
      const hung = await exercise(service, registry);
      const { resourceMetrics } = await reader.collect();
      const status = points(resourceMetrics, 'heartbeat.check.status');
      const value = (check: string) => status.find((point) => point.attributes.check === check)?.value;
      expect([value('ok'), value('down'), value('slow'), value('flaky'), value('loop')]).toEqual([1, 0, 0, 1, 1]);
      const runs = points(resourceMetrics, 'heartbeat.check.runs');
      const count = (check: string, result: string) =>
        runs.find((point) => point.attributes.check === check && point.attributes.result === result)?.value;
      expect([count('ok', 'success'), count('down', 'failure'), count('slow', 'timeout')]).toEqual([2, 2, 2]);
      const transitions = points(resourceMetrics, 'heartbeat.check.transitions');
      expect(transitions.map(({ attributes, value }) => ({ ...attributes, value }))).toEqual([
        { probe: 'readiness', check: 'flaky', to: 'passing', value: 1 },
      ]);
      const duration = points(resourceMetrics, 'heartbeat.check.duration');
      const slow = duration.find((point) => point.attributes.check === 'slow')!.value as Histogram;
      expect(slow.count).toBe(2);
      // Timed out: some time passed (timers may fire a millisecond before the clock says so).
      expect(slow.min).toBeGreaterThan(0);
      expect(
        points(resourceMetrics, 'heartbeat.probe.status').map(({ attributes, value }) => [attributes.probe, value]),
      ).toEqual([
        ['readiness', 0],
        ['liveliness', 1],
        ['startup', 1],
      ]);
      expect(points(resourceMetrics, 'heartbeat.in_rotation')[0].value).toBe(1);
      hung.resolve(true);
    } finally {
      await provider.shutdown();
    }
  });

  it('uses the global MeterProvider with openTelemetry: true', async () => {
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    otelMetrics.setGlobalMeterProvider(provider);
    try {
      const { service, registry } = await boot({ metrics: { openTelemetry: true, prefix: 'app_health' } });
      registry.register('readiness', () => true, { name: 'db' });
      await service.readiness();
      const { resourceMetrics } = await reader.collect();
      expect(resourceMetrics.scopeMetrics[0].scope.name).toBe('nestjs-heartbeat');
      expect(points(resourceMetrics, 'app_health.check.status')).toEqual([
        expect.objectContaining({ attributes: { probe: 'readiness', check: 'db' }, value: 1 }),
      ]);
    } finally {
      otelMetrics.disable();
      await provider.shutdown();
    }
  });

  it('rejects metrics options that cannot work', async () => {
    await expect(boot({ metrics: { prometheus: 'yes' as never } })).rejects.toThrow(
      'HeartbeatModule: option "metrics.prometheus" must be true, false or a prom-client Registry (got "yes").',
    );
    await expect(boot({ metrics: { prefix: '1x' } })).rejects.toThrow('option "metrics.prefix" must be a name');
    await expect(boot({ metrics: { promethues: true } as never })).rejects.toThrow(
      'unknown option "metrics.promethues" (did you mean "metrics.prometheus"?)',
    );
  });
});
