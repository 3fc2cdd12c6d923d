import { jest } from '@jest/globals';
import { type INestApplication, Injectable } from '@nestjs/common';
import request from 'supertest';
import {
  type HealthChange,
  HeartbeatModule,
  HeartbeatService,
  LivelinessProbe,
  ProbeRegistry,
  ReadinessProbe,
  StartupProbe,
} from '../src/index.js';
import { defaultStaleAfterMs } from '../src/state/check-policy.js';
import { BackgroundScheduler, nextDelayMs } from '../src/run/background.scheduler.js';
import { createApp } from './support/app.js';
import { gate } from './support/gate.js';
import { RecordingLogger } from './support/logger.js';

const START = 1_000_000;

describe('background checks', () => {
  let app: INestApplication | undefined;
  let service: HeartbeatService;
  let registry: ProbeRegistry;
  let logger: RecordingLogger;
  let changes: HealthChange[];

  beforeEach(() => {
    // Every timer and the clock are the test's; promise jobs run as usual.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'], now: START });
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  async function boot(options: Parameters<typeof HeartbeatModule.forRoot>[0] = {}, providers: unknown[] = []) {
    logger = new RecordingLogger();
    app = await createApp('express', {
      imports: [HeartbeatModule.forRoot({ logger, environ: false, ...options })],
      providers: providers as never[],
    });
    service = app.get(HeartbeatService);
    registry = app.get(ProbeRegistry);
    changes = [];
    service.changes$.subscribe((change) => changes.push(change));
  }

  /** Lets pending promise jobs and the timers due by then run. */
  const advance = (ms: number) => jest.advanceTimersByTimeAsync(ms);

  it('runs a decorated check at bootstrap, then every intervalMs, whatever the probes ask', async () => {
    let calls = 0;
    @Injectable()
    class Db {
      @ReadinessProbe({ intervalMs: 1000 })
      db() {
        calls++;
        return { status: true, rows: 1 };
      }
    }
    jest.spyOn(Math, 'random').mockReturnValue(0.5); // no jitter: exactly intervalMs
    await boot({}, [Db]);
    await advance(0);
    expect(calls).toBe(1);
    for (let i = 0; i < 20; i++)
      expect(await service.readiness()).toEqual({ status: true, checks: { db: { status: true, rows: 1 } } });
    expect(calls).toBe(1);
    await advance(999);
    expect(calls).toBe(1);
    await advance(1);
    expect(calls).toBe(2);
    await advance(5000);
    expect(calls).toBe(7);
  });

  it('keeps the delay between runs within intervalMs ± 10 %', async () => {
    expect(nextDelayMs(1000, () => 0)).toBe(900);
    expect(nextDelayMs(1000, () => 0.999999)).toBe(1100);
    expect(nextDelayMs(1000, () => 0.5)).toBe(1000);
    for (const low of [0, 0.999999]) {
      jest.spyOn(Math, 'random').mockReturnValue(low);
      await boot();
      let calls = 0;
      registry.register('readiness', () => (calls++, true), { name: 'db', intervalMs: 1000 });
      await advance(0);
      expect(calls).toBe(1);
      const next = low === 0 ? 900 : 1100;
      await advance(next - 1);
      expect(calls).toBe(1);
      await advance(1);
      expect(calls).toBe(2);
      await app!.close();
      app = undefined;
    }
  });

  it('answers at once from the state while the first run is pending: readiness fails, liveness passes', async () => {
    const first = gate();
    await boot();
    registry.register('readiness', () => first.promise, { name: 'db', intervalMs: 1000 });
    registry.register('liveness', () => first.promise, { name: 'db', intervalMs: 1000 });
    await advance(0);
    const message = 'no result yet: the check runs in the background every 1000 ms and its first run has not finished';
    expect(await service.readiness()).toEqual({ status: false, checks: { db: { status: false, message } } });
    expect(await service.liveness()).toEqual({ status: true, checks: { db: { status: true, message } } });
    expect(await service.startup()).toEqual({ status: true, checks: {} });
    first.resolve(true);
    await advance(0);
    expect(await service.readiness()).toEqual({ status: true, checks: { db: { status: true } } });
  });

  it('fails startup until a background startup check has a first result, then stops running it', async () => {
    let calls = 0;
    let ready = false;
    @Injectable()
    class Migrations {
      @StartupProbe({ intervalMs: 1000 })
      migrated() {
        calls++;
        return ready;
      }
    }
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    await boot({}, [Migrations]);
    expect((await service.startup()).status).toBe(false);
    await advance(0);
    expect((await service.startup()).status).toBe(false);
    ready = true;
    await advance(1000);
    expect(calls).toBe(2);
    expect(app!.get(BackgroundScheduler).size).toBe(0);
    // Probed long after its last run: a passed startup check never goes stale.
    await advance(60_000);
    expect(calls).toBe(2);
    expect(await service.startup()).toEqual({ status: true, checks: { migrated: { status: true } } });
  });

  it('never overlaps itself: a hung call times out, is joined by the next ticks, then abandoned', async () => {
    const calls: ReturnType<typeof gate<boolean>>[] = [];
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    await boot({ timeoutMs: 300, abandonAfterMs: 5000 });
    registry.register(
      'readiness',
      () => {
        const call = gate();
        calls.push(call);
        return call.promise;
      },
      { name: 'db', intervalMs: 1000 },
    );
    await advance(0);
    expect(calls).toHaveLength(1);
    expect(await service.readiness()).toMatchObject({ status: false, checks: { db: { status: false } } });
    await advance(300);
    expect((await service.readiness()).checks.db).toEqual({ status: false, message: 'db timed out after 300 ms' });
    // The next ticks (at 1000, 2000, 3000 and 4000 ms) find the call still pending and wait for it.
    await advance(1000);
    expect(calls).toHaveLength(1);
    expect((await service.readiness()).checks.db.message).toBe(
      'db timed out after 300 ms (its previous call, started 1.0 s ago, has not settled)',
    );
    // The tick at 5000 ms finds it pending for abandonAfterMs: it abandons it and calls again.
    await advance(3699);
    expect(calls).toHaveLength(1);
    await advance(1);
    expect(calls).toHaveLength(2);
    calls[1].resolve(true);
    await advance(0);
    expect(await service.readiness()).toEqual({ status: true, checks: { db: { status: true } } });
    // The abandoned call settling late changes nothing.
    calls[0].resolve(false);
    await advance(0);
    expect(await service.readiness()).toEqual({ status: true, checks: { db: { status: true } } });
  });

  it('fails a check whose last result is older than staleAfterMs, saying how old and that its call has not settled, until a new result', async () => {
    const hang = gate();
    let call = 0;
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    // No timeout and no abandoning: once the second call hangs, nothing ends it (the loop keeps firing).
    await boot({ timeoutMs: 0, abandonAfterMs: 0 });
    registry.register('readiness', () => (++call === 1 ? true : hang.promise), { name: 'db', intervalMs: 1000 });
    await advance(0);
    expect(defaultStaleAfterMs(1000, 0)).toBe(2200);
    await advance(2200);
    expect(await service.readiness()).toEqual({ status: true, checks: { db: { status: true } } });
    await advance(1);
    const body = await service.readiness();
    expect(body.status).toBe(false);
    expect(body.checks.db.message).toBe(
      'db: its last result is 2.2 s old although it runs every 1000 ms: its call started 1.2 s ago has not settled (timeoutMs and abandonAfterMs are 0: it is waited for until it settles)',
    );
    expect(service.state().probes.readiness.checks[0]).toMatchObject({ status: false, stale: true, checkedAt: START });
    expect(changes.map(({ status }) => status)).toEqual([true, false]);
    expect(logger.messages('warn')).toEqual([expect.stringContaining('its call started 1.2 s ago has not settled')]);
    hang.resolve(true);
    await advance(0);
    expect(await service.readiness()).toEqual({ status: true, checks: { db: { status: true } } });
    expect(service.state().probes.readiness.checks[0]).toMatchObject({ status: true, stale: false });
    expect(changes.map(({ status }) => status)).toEqual([true, false, true]);
  });

  it('honours staleAfterMs given per check', async () => {
    const hang = gate();
    let call = 0;
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    await boot({ timeoutMs: 0, abandonAfterMs: 0 });
    registry.register('liveness', () => (++call === 1 ? true : hang.promise), {
      name: 'loop',
      intervalMs: 1000,
      staleAfterMs: 1500,
    });
    await advance(1500);
    expect((await service.liveness()).status).toBe(true);
    await advance(1);
    expect((await service.liveness()).status).toBe(false);
  });

  it('mixes background and request-driven checks in one probe', async () => {
    let background = 0;
    let perRequest = 0;
    await boot();
    registry.register('readiness', () => (background++, true), { name: 'db', intervalMs: 1000 });
    registry.register('readiness', async () => (perRequest++, true), { name: 'cache' });
    await advance(0);
    for (let i = 0; i < 5; i++) await service.readiness();
    expect({ background, perRequest }).toEqual({ background: 1, perRequest: 5 });
  });

  it('turns what a background handler throws, rejects or returns into a failing result', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await boot();
      registry.register(
        'readiness',
        () => {
          throw new Error('secret://password');
        },
        { name: 'throws', intervalMs: 1000 },
      );
      registry.register('readiness', () => Promise.reject(new Error('refused')), { name: 'rejects', intervalMs: 1000 });
      registry.register('readiness', () => Symbol('garbage'), { name: 'garbage', intervalMs: 1000 });
      const revoked = Proxy.revocable({}, {});
      revoked.revoke();
      registry.register('readiness', () => revoked.proxy, { name: 'revoked', intervalMs: 1000 });
      await advance(0);
      const { status, checks } = await service.readiness();
      expect(status).toBe(false);
      for (const name of ['throws', 'rejects', 'garbage', 'revoked']) expect(checks[name].status).toBe(false);
      expect(JSON.stringify(checks)).not.toContain('password');
      await advance(10_000);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('starts the loop of a check registered after bootstrap and stops the loop of one unregistered', async () => {
    let calls = 0;
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    await boot();
    const scheduler = app!.get(BackgroundScheduler);
    const unregister = registry.register('readiness', () => (calls++, true), { name: 'db', intervalMs: 1000 });
    expect(scheduler.size).toBe(1);
    await advance(2000);
    expect(calls).toBe(3);
    unregister();
    expect(scheduler.size).toBe(0);
    await advance(10_000);
    expect(calls).toBe(3);
  });

  it('stops every timer at shutdown', async () => {
    let calls = 0;
    await boot({ intervalMs: 1000 });
    registry.register('readiness', () => (calls++, true), { name: 'a' });
    registry.register('liveness', () => (calls++, true), { name: 'b' });
    await advance(0);
    expect(calls).toBe(2);
    const scheduler = app!.get(BackgroundScheduler);
    expect(scheduler.size).toBe(2);
    await app!.close();
    app = undefined;
    expect(scheduler.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    await advance(60_000);
    expect(calls).toBe(2);
  });

  it('applies the module-wide intervalMs to every health check but not to environ contributors', async () => {
    await boot({ intervalMs: 1000, environ: {} });
    registry.register('readiness', () => true, { name: 'db' });
    const state = service.state();
    expect(state.probes.readiness.checks[0]).toMatchObject({ mode: 'background', intervalMs: 1000 });
    expect(state.probes.environ.checks.every(({ mode }) => mode === 'request')).toBe(true);
    expect(app!.get(BackgroundScheduler).size).toBe(1);
  });

  it('shows in the text view and health+json when a background check last ran and its streak', async () => {
    jest.useRealTimers();
    await boot();
    const done = gate();
    let calls = 0;
    registry.register(
      'readiness',
      () => {
        if (++calls === 1) done.resolve(true);
        return true;
      },
      { name: 'db', intervalMs: 60_000 },
    );
    registry.register('readiness', () => true, { name: 'plain' });
    await done.promise;
    const checkedAt = new Date(service.state().probes.readiness.checks[0].checkedAt!).toISOString();
    const text = await request(app!.getHttpServer()).get('/.well-known/heartbeat/readiness?verbose');
    expect(text.text).toBe(
      `[+]db ok (checked ${checkedAt}, passed 1 time in a row)\n[+]plain ok\nreadiness check passed\n`,
    );
    const health = await request(app!.getHttpServer())
      .get('/.well-known/heartbeat/readiness')
      .set('Accept', 'application/health+json');
    expect(JSON.parse(health.text).checks.db[0]).toEqual({
      componentId: 'db',
      componentType: 'component',
      status: 'pass',
      time: checkedAt,
      consecutiveSuccesses: 1,
      consecutiveFailures: 0,
    });
    expect(JSON.parse(health.text).checks.plain[0]).not.toHaveProperty('consecutiveSuccesses');
  });
});

describe('failure and success thresholds', () => {
  let app: INestApplication | undefined;
  let service: HeartbeatService;
  let registry: ProbeRegistry;
  let logger: RecordingLogger;
  let changes: HealthChange[];
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function boot(options: Parameters<typeof HeartbeatModule.forRoot>[0] = {}) {
    logger = new RecordingLogger();
    app = await createApp('express', { imports: [HeartbeatModule.forRoot({ logger, environ: false, ...options })] });
    service = app.get(HeartbeatService);
    registry = app.get(ProbeRegistry);
    changes = [];
    service.changes$.subscribe((change) => changes.push(change));
  }

  it('reports a failure only after failureThreshold in a row, showing the raw result meanwhile', async () => {
    await boot();
    let up = true;
    registry.register('readiness', () => (up ? true : { status: false, message: 'connection refused' }), {
      name: 'db',
      failureThreshold: 3,
    });
    expect(await service.readiness()).toEqual({ status: true, checks: { db: { status: true } } });
    up = false;
    expect(await service.readiness()).toEqual({
      status: true,
      checks: { db: { status: true, message: 'connection refused', failing: 1, failureThreshold: 3 } },
    });
    expect((await service.readiness()).checks.db).toMatchObject({ status: true, failing: 2 });
    expect(service.state().probes.readiness.checks[0]).toMatchObject({
      status: true,
      consecutiveFailures: 2,
      lastResult: { status: false },
      failureThreshold: 3,
    });
    expect(await service.readiness()).toEqual({
      status: false,
      checks: { db: { status: false, message: 'connection refused' } },
    });
    expect(changes.map(({ status }) => status)).toEqual([true, false]);
    expect(logger.messages('warn')).toHaveLength(1);
  });

  it('a pass in between starts the count again', async () => {
    await boot({ failureThreshold: 2 });
    const results = [true, false, true, false, true, false, false];
    registry.register('readiness', () => results.shift()!, { name: 'flappy' });
    const statuses: boolean[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await service.readiness()).status);
    expect(statuses).toEqual([true, true, true, true, true, true, false]);
    expect(changes.map(({ status }) => status)).toEqual([true, false]);
  });

  it('reports a recovery only after successThreshold passes in a row', async () => {
    await boot({ successThreshold: 2 });
    let up = false;
    registry.register('readiness', () => up, { name: 'db' });
    expect((await service.readiness()).status).toBe(false);
    up = true;
    const held = await service.readiness();
    expect(held).toEqual({
      status: false,
      checks: {
        db: {
          status: false,
          message: 'still failing: the check passed 1 time(s) in a row of the 2 it needs to count as passing again',
          passing: 1,
          successThreshold: 2,
        },
      },
    });
    expect(await service.readiness()).toEqual({ status: true, checks: { db: { status: true } } });
    expect(changes.map(({ status }) => status)).toEqual([false, true]);
    expect(logger.messages('log')).toEqual([expect.stringContaining('passing again')]);
  });

  it('counts a timeout as a failure and a coalesced run as one result', async () => {
    await boot({ timeoutMs: 50, failureThreshold: 2, abandonAfterMs: 40 });
    let calls = 0;
    const pending: ReturnType<typeof gate<boolean>>[] = [];
    registry.register(
      'readiness',
      () => {
        calls++;
        const call = gate();
        pending.push(call);
        return call.promise;
      },
      { name: 'db' },
    );
    const first = service.readiness();
    pending[0].resolve(true);
    expect((await first).status).toBe(true);
    // Two concurrent probes share one call, which times out: one failed result, held by the threshold.
    const [a, b] = await Promise.all([service.readiness(), service.readiness()]);
    expect(calls).toBe(2);
    expect(a).toEqual(b);
    expect(a).toEqual({
      status: true,
      checks: { db: { status: true, message: 'db timed out after 50 ms', failing: 1, failureThreshold: 2 } },
    });
    expect(service.state().probes.readiness.checks[0]).toMatchObject({ status: true, consecutiveFailures: 1 });
    const third = await service.readiness();
    expect(third.status).toBe(false);
    expect(third.checks.db.message).toMatch(/^db timed out after 50 ms/);
    for (const call of pending) call.resolve(true);
  });

  it('rejects thresholds that are not whole numbers from 1 to 1000, and intervals under 100 ms', async () => {
    await expect(boot({ failureThreshold: 0 })).rejects.toThrow(
      'HeartbeatModule: option "failureThreshold" must be a whole number from 1 to 1000 (got 0).',
    );
    await expect(boot({ successThreshold: 1.5 })).rejects.toThrow('"successThreshold" must be a whole number');
    await expect(boot({ intervalMs: 50 })).rejects.toThrow(
      'HeartbeatModule: option "intervalMs" must be 0 (run on each probe) or from 100 to 2147483647 milliseconds (got 50).',
    );
    await expect(boot({ staleAfterMs: -1 })).rejects.toThrow('"staleAfterMs" must be a number of milliseconds');
    await boot();
    expect(() => registry.register('readiness', () => true, { name: 'db', failureThreshold: Number.NaN })).toThrow(
      `ProbeRegistry.register('readiness', …): option "failureThreshold" must be a whole number from 1 to 1000 (got NaN).`,
    );
    expect(() => registry.register('readiness', () => true, { name: 'db', intervalMs: 10 })).toThrow(
      `ProbeRegistry.register('readiness', …): option "intervalMs" must be 0`,
    );
  });

  it('takes per-check thresholds from the decorator over the module’s', async () => {
    let up = true;
    @Injectable()
    class Checks {
      @LivelinessProbe({ failureThreshold: 2 })
      loop() {
        return up;
      }
    }
    logger = new RecordingLogger();
    app = await createApp('express', {
      imports: [HeartbeatModule.forRoot({ logger, environ: false, failureThreshold: 5 })],
      providers: [Checks],
    });
    service = app.get(HeartbeatService);
    await service.liveness();
    up = false;
    expect((await service.liveness()).status).toBe(true);
    expect((await service.liveness()).status).toBe(false);
  });
});
