import { jest } from '@jest/globals';
import type { Config } from '@jest/types';
import { type BeforeApplicationShutdown, type INestApplication, Injectable } from '@nestjs/common';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { config as rxjsConfig } from 'rxjs';
import { HealthState } from '../src/state/health-state.js';
import { type HealthChange, HeartbeatModule, HeartbeatService, ProbeRegistry } from '../src/index.js';
import type { CheckOutcome } from '../src/state/check-outcome.js';
import type { RegisteredCheck } from '../src/discovery/probe.registry.js';
import { createApp } from './support/app.js';
import { RecordingLogger } from './support/logger.js';

/** Every faked API but Date. */
const ONLY_DATE: Config.FakeableAPI[] = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'requestIdleCallback',
  'cancelIdleCallback',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
  'Temporal',
];

describe('the health state', () => {
  let app: INestApplication;
  let service: HeartbeatService;
  let registry: ProbeRegistry;
  let logger: RecordingLogger;
  let changes: HealthChange[];
  afterEach(async () => {
    await app?.close();
  });

  async function boot(options: Parameters<typeof HeartbeatModule.forRoot>[0] = {}) {
    logger = new RecordingLogger();
    app = await createApp('express', { imports: [HeartbeatModule.forRoot({ logger, environ: false, ...options })] });
    service = app.get(HeartbeatService);
    registry = app.get(ProbeRegistry);
    changes = [];
    service.changes$.subscribe((change) => changes.push(change));
  }

  it('keeps nothing of an unregistered check: 2,000 register/unregister cycles leave the state of one', async () => {
    await boot();
    registry.register('readiness', () => true, { name: 'db' });
    /** One cycle of a request check and a background one (its first run at once); only weak references are left. */
    const cycle = async (i: number) => {
      const offs = [
        registry.register('readiness', () => i % 2 === 0, { name: 'cyc' }),
        registry.register('liveness', async () => true, { name: 'cyc', intervalMs: 60_000 }),
      ];
      const keys = Object.keys((await service.readiness()).checks);
      await service.liveness();
      const refs = [new WeakRef(registry.get('readiness')[1]), new WeakRef(registry.get('liveliness')[0])];
      for (const off of offs) off();
      return { keys, refs };
    };
    const refs: WeakRef<RegisteredCheck>[] = [];
    for (let i = 0; i < 2000; i++) {
      const cycled = await cycle(i);
      expect(cycled.keys).toEqual(['db', 'cyc']);
      refs.push(...cycled.refs);
    }
    await service.readiness();
    const { probes } = service.state();
    expect(probes.readiness.checks.map(({ name }) => name)).toEqual(['db']);
    expect(probes.liveliness.checks).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    gc();
    expect(refs.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
  });

  it('publishes a check’s first result and each change of status, not a result that repeats one', async () => {
    await boot();
    let healthy = true;
    registry.register(
      'readiness',
      () => {
        if (!healthy) throw new Error('connection refused');
        return { status: true, rows: 1 };
      },
      { name: 'db' },
    );
    await service.readiness();
    await service.readiness();
    expect(changes).toEqual([
      {
        probe: 'readiness',
        check: 'db',
        source: 'db',
        status: true,
        degraded: false,
        previous: null,
        time: expect.any(Number),
        durationMs: expect.any(Number),
      },
    ]);
    healthy = false;
    await service.readiness();
    await service.readiness();
    healthy = true;
    await service.readiness();
    expect(changes.map(({ status, previous }) => [previous, status])).toEqual([
      [null, true],
      [true, false],
      [false, true],
    ]);
    // The reason as bodies show it: the thrown text is withheld (details: 'safe'), the log has it.
    expect(changes[1].reason).toMatch(/^db failed: threw Error; its text is withheld/);
    expect(logger.messages('warn')[0]).toMatch(/connection refused/);
    expect(changes[2]).not.toHaveProperty('reason');
    // The log is one subscriber of the same changes: a warning when it fails, a line when it recovers.
    expect(logger.lines.map(({ level }) => level)).toEqual(['warn', 'log']);
  });

  it('keeps per check the last result, when, since when and the failures in a row', async () => {
    await boot();
    let healthy = false;
    registry.register('liveness', () => (healthy ? { status: true, lagMs: 3 } : false), { name: 'loop' });
    const before = service.state();
    expect(before.probes.liveliness).toEqual({
      status: null,
      degraded: false,
      checks: [
        {
          name: 'loop',
          source: 'loop',
          status: null,
          critical: true,
          degraded: false,
          data: {},
          durationMs: null,
          checkedAt: null,
          since: null,
          consecutiveFailures: 0,
          consecutiveSuccesses: 0,
          lastResult: null,
          mode: 'request',
          intervalMs: 0,
          failureThreshold: 1,
          successThreshold: 1,
          stale: false,
        },
      ],
    });
    await service.liveness();
    const failedAt = changes[0].time;
    await service.liveness();
    await service.liveness();
    let loop = service.state().probes.liveliness.checks[0];
    expect(loop).toMatchObject({ status: false, since: failedAt, consecutiveFailures: 3 });
    expect(loop.checkedAt).toBeGreaterThanOrEqual(failedAt);
    expect(service.state().probes.liveliness.status).toBe(false);
    healthy = true;
    await service.liveness();
    loop = service.state().probes.liveliness.checks[0];
    expect(loop).toMatchObject({ status: true, data: { lagMs: 3 }, since: changes[1].time, consecutiveFailures: 0 });
    expect(loop).not.toHaveProperty('reason');
    expect(service.state().probes.liveliness.status).toBe(true);
  });

  it('measures a call from its start to its result', async () => {
    await boot({ timeoutMs: 0 });
    let release!: () => void;
    registry.register('readiness', () => new Promise<boolean>((resolve) => (release = () => resolve(true))), {
      name: 'slow',
    });
    // Only the clock is faked: the call takes exactly the 250 ms the test moves it on.
    jest.useFakeTimers({ doNotFake: ONLY_DATE, now: 1_000_000 });
    try {
      const answer = service.readiness();
      jest.setSystemTime(1_000_250);
      release();
      await answer;
      expect(service.state().probes.readiness.checks[0]).toMatchObject({
        durationMs: 250,
        checkedAt: 1_000_250,
        since: 1_000_250,
      });
    } finally {
      jest.useRealTimers();
    }
  });

  it('reports readiness false while out of rotation or shutting down, and startup true once passed', async () => {
    await boot();
    registry.register('readiness', () => true, { name: 'db' });
    let warm = false;
    registry.register('startup', () => warm, { name: 'warm' });
    await service.readiness();
    expect(service.state().probes.readiness.status).toBe(true);
    service.takeOutOfRotation('deploy');
    expect(service.state()).toMatchObject({ inRotation: false, probes: { readiness: { status: false } } });
    service.returnToRotation();
    expect(service.state().probes.readiness.status).toBe(true);

    await service.startup();
    expect(service.state().probes.startup.status).toBe(false);
    warm = true;
    await service.startup();
    warm = false;
    await service.startup();
    expect(service.state().probes.startup.status).toBe(true);

    service.markShuttingDown();
    expect(service.state()).toMatchObject({
      shuttingDown: true,
      inRotation: false,
      probes: { readiness: { status: false } },
    });
  });

  it('does not fail a probe on a non-critical check', async () => {
    await boot();
    registry.register('readiness', () => true, { name: 'db' });
    registry.register('readiness', () => false, { name: 'cache', critical: false });
    await service.readiness();
    const { readiness } = service.state().probes;
    expect(readiness.status).toBe(true);
    expect(readiness.checks.map(({ name, status, critical }) => [name, status, critical])).toEqual([
      ['db', true, true],
      ['cache', false, false],
    ]);
  });

  it('a subscriber that throws costs neither the probe nor the other subscribers their change', async () => {
    await boot();
    const reported: unknown[] = [];
    const previous = rxjsConfig.onUnhandledError;
    rxjsConfig.onUnhandledError = (error) => reported.push(error);
    try {
      service.changes$.subscribe(() => {
        throw new Error('subscriber broke');
      });
      registry.register('readiness', () => false, { name: 'db' });
      const answer = await service.respond('readiness');
      expect(answer.statusCode).toBe(500);
      expect(changes).toHaveLength(1);
      expect(logger.messages('warn')).toHaveLength(1);
      // RxJS reports a subscriber's error on a timer of its own, where its onUnhandledError sees it.
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(reported).toEqual([new Error('subscriber broke')]);
    } finally {
      rxjsConfig.onUnhandledError = previous;
    }
  });

  it('onChange: a listener that throws is logged, keeps listening, and costs no one else the change', async () => {
    await boot();
    const seen: string[] = [];
    const stop = service.onChange(() => {
      throw new Error('listener broke');
    });
    service.onChange((change) => seen.push(`${change.check}:${change.status}`));
    let healthy = false;
    registry.register('readiness', () => healthy, { name: 'db' });
    expect((await service.respond('readiness')).statusCode).toBe(500);
    healthy = true;
    await service.readiness();
    expect(seen).toEqual(['db:false', 'db:true']);
    expect(logger.messages('error')).toEqual([
      'A HeartbeatService.onChange listener threw (the change was still published): listener broke',
      'A HeartbeatService.onChange listener threw (the change was still published): listener broke',
    ]);
    stop();
    healthy = false;
    await service.readiness();
    expect(logger.messages('error')).toHaveLength(2);
    expect(seen).toEqual(['db:false', 'db:true', 'db:false']);
  });

  it('still publishes and logs changes while the app shuts down, until it has shut down', async () => {
    const db = { healthy: true };
    @Injectable()
    class LateProbe implements BeforeApplicationShutdown {
      constructor(private readonly heartbeat: HeartbeatService) {}
      // As a probe during Nest 11's shutdown delay, which runs in the module-destroy hooks: later than
      // any onModuleDestroy.
      async beforeApplicationShutdown() {
        db.healthy = false;
        await this.heartbeat.liveness();
      }
    }
    logger = new RecordingLogger();
    app = await createApp('express', {
      imports: [HeartbeatModule.forRoot({ logger, environ: false })],
      providers: [LateProbe],
    });
    service = app.get(HeartbeatService);
    const seen: boolean[] = [];
    service.changes$.subscribe((change) => seen.push(change.status));
    app.get(ProbeRegistry).register('liveness', () => db.healthy, { name: 'db' });
    await service.liveness();
    await app.close();
    expect(seen).toEqual([true, false]);
    expect(logger.messages('warn')).toEqual(['liveliness check "db" is failing']);
  });

  it('completes changes$ when the app closes', async () => {
    await boot();
    let completed = false;
    service.changes$.subscribe({ complete: () => (completed = true) });
    await app.close();
    expect(completed).toBe(true);
  });
});

describe('HealthState on its own', () => {
  const check = (name: string, critical = true): RegisteredCheck => ({
    kind: 'readiness',
    name,
    source: `Checks.${name}`,
    handler: () => true,
    options: { critical },
    trusted: false,
  });
  const OPTIONS = { logger: null, timeoutMs: 800, intervalMs: 0, failureThreshold: 1, successThreshold: 1 } as never;
  const outcome = (status: boolean, reason?: string): CheckOutcome => ({
    name: 'x',
    status,
    data: reason ? { message: reason } : {},
    ...(reason ? { reason } : {}),
  });

  const REGISTRY = { watch: () => () => undefined } as never;
  /** Writes as the runner does: it keeps the streak in the record, then writes the result. */
  const record = (
    state: HealthState,
    on: RegisteredCheck,
    result: CheckOutcome,
    at: number,
    time: number,
    streak: number,
  ) => {
    state.recordOf(on).streak = streak;
    state.write(on, result, result, at, time);
  };

  it('records durations, times and runs of failures from the times it is given', () => {
    const state = new HealthState(OPTIONS, REGISTRY);
    const db = check('db');
    record(state, db, outcome(false, 'down'), 1000, 1250, -1);
    record(state, db, outcome(false, 'down'), 2000, 2010, -2);
    expect(state.recordOf(db).health()).toEqual({
      name: 'db',
      source: 'Checks.db',
      status: false,
      critical: true,
      degraded: false,
      reason: 'down',
      data: { message: 'down' },
      durationMs: 10,
      checkedAt: 2010,
      since: 1250,
      consecutiveFailures: 2,
      consecutiveSuccesses: 0,
      lastResult: { status: false, reason: 'down' },
      mode: 'request',
      intervalMs: 0,
      failureThreshold: 1,
      successThreshold: 1,
      stale: false,
    });
    record(state, db, outcome(true), 3000, 3000, 1);
    expect(state.recordOf(db).health()).toMatchObject({
      status: true,
      since: 3000,
      consecutiveFailures: 0,
      durationMs: 0,
    });
  });

  it('aggregates a probe: false on a failing critical check, null while one has not run', () => {
    const state = new HealthState(OPTIONS, REGISTRY);
    const [a, b, c] = [check('a'), check('b'), check('c', false)];
    expect(state.probe([a, b, c]).status).toBeNull();
    record(state, a, outcome(true), 0, 0, 1);
    expect(state.probe([a, b, c]).status).toBeNull();
    record(state, b, outcome(true), 0, 0, 1);
    expect(state.probe([a, b, c]).status).toBe(true);
    record(state, c, outcome(false), 0, 0, -1);
    expect(state.probe([a, b, c]).status).toBe(true);
    record(state, b, outcome(false), 0, 0, -1);
    expect(state.probe([a, b, c]).status).toBe(false);
    expect(state.probe([]).status).toBe(true);
  });
});
