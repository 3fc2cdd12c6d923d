import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Registry } from 'prom-client';
import { HeartbeatModule, HeartbeatService, ProbeRegistry } from '../src/index.js';
import { MAX_TIMER_MS } from '../src/heartbeat.constants.js';
import { createApp } from './support/app.js';
import { gate } from './support/gate.js';

const never = () => new Promise<boolean>(() => {});

/** Regressions found by a hostile review of background checks, thresholds and metrics. */
describe('background checks, thresholds and metrics under hostile review', () => {
  let app: INestApplication | undefined;
  let service: HeartbeatService;
  let registry: ProbeRegistry;
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'], now: 1_000_000 }));
  afterEach(async () => {
    await app?.close();
    app = undefined;
    jest.useRealTimers();
    jest.restoreAllMocks();
  });
  async function boot(options: Parameters<typeof HeartbeatModule.forRoot>[0] = {}, providers: unknown[] = []) {
    app = await createApp('express', {
      imports: [HeartbeatModule.forRoot({ logger: false, environ: false, ...options })],
      providers: providers as never[],
    });
    service = app.get(HeartbeatService);
    registry = app.get(ProbeRegistry);
  }
  const advance = (ms: number) => jest.advanceTimersByTimeAsync(ms);

  it('a hung call joined by two probes that time out together counts as one failed result', async () => {
    await boot({ timeoutMs: 100, failureThreshold: 2, abandonAfterMs: 0 });
    let calls = 0;
    registry.register('readiness', () => (++calls === 1 ? true : never()), { name: 'db' });
    expect((await service.readiness()).status).toBe(true);
    const a = service.readiness();
    await advance(50);
    const b = service.respond('readiness', { check: 'db' });
    await advance(200);
    await Promise.all([a, b]);
    expect(calls).toBe(2);
    const db = service.state().probes.readiness.checks[0];
    expect(db.consecutiveFailures).toBe(1);
    expect(db.status).toBe(true);
  });

  it('a stale check that then gets a raw failure stays failing (thresholds)', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    await boot();
    const results: (() => boolean | Promise<boolean>)[] = [() => true];
    const late = gate();
    results.push(() => late.promise);
    registry.register('readiness', () => (results.shift() ?? (() => false))(), {
      name: 'db',
      intervalMs: 1000,
      timeoutMs: 10_000,
      staleAfterMs: 3000,
      failureThreshold: 3,
    });
    await advance(0);
    expect((await service.readiness()).status).toBe(true);
    await advance(5000); // second run in flight for 4 s: stale
    expect((await service.readiness()).status).toBe(false);
    late.resolve(false); // the loop recovers, with a FAILURE
    await advance(0);
    expect((await service.readiness()).status).toBe(false);
  });

  it('with timeoutMs 0, a hung background call is abandoned after abandonAfterMs and the check recovers', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    await boot({ intervalMs: 1000, timeoutMs: 0, abandonAfterMs: 5000 });
    let calls = 0;
    registry.register('readiness', () => (++calls === 2 ? never() : true), { name: 'db' });
    await advance(0);
    await advance(1000);
    expect(calls).toBe(2);
    await advance(1200);
    expect((await service.readiness()).status).toBe(true);
    // Stale 2200 ms after the last result (at 0): failing, without waiting for the hung call.
    await advance(1);
    expect(calls).toBe(2);
    expect((await service.readiness()).status).toBe(false);
    // The tick at 6000 ms finds the call (started at 1000) pending for 5000 ms: abandoned, called again.
    await advance(3798);
    expect(calls).toBe(2);
    await advance(1);
    expect(calls).toBe(3);
    expect((await service.readiness()).status).toBe(true);
  });

  it('with timeoutMs 0, a first call that never settles fails liveness once staleAfterMs has passed', async () => {
    await boot({ intervalMs: 1000, timeoutMs: 0 });
    registry.register('liveness', never, { name: 'loop' });
    await advance(2201);
    const body = await service.liveness();
    expect(body.status).toBe(false);
    expect(body.checks.loop.message).toMatch(
      /^loop: no result yet although it runs every 1000 ms: its call started \d+\.\d s ago has not settled \(no timeout: it is abandoned and called again after 10000 ms\)$/,
    );
  });

  it('aborts the handler of a background run in flight at close', async () => {
    await boot({ intervalMs: 1000, timeoutMs: 800 });
    let signal!: AbortSignal;
    registry.register('readiness', (s: AbortSignal) => ((signal = s), never()), { name: 'db' });
    await advance(10); // DeferredTimeouts armed its race timer
    await app!.close();
    app = undefined;
    expect(signal.aborted).toBe(true);
    expect((signal.reason as DOMException).name).toBe('AbortError');
    expect((signal.reason as DOMException).message).toBe('the app is shutting down');
  });

  it('keeps the jittered delay of the largest intervalMs within what setTimeout honours', async () => {
    const { nextDelayMs } = await import('../src/run/background.scheduler.js');
    expect(nextDelayMs(MAX_TIMER_MS, () => 0.99)).toBeLessThanOrEqual(MAX_TIMER_MS);
  });

  it('a revoked Proxy as a background handler fails the check and the loop goes on', async () => {
    const rejections: unknown[] = [];
    const onRejection = (e: unknown) => rejections.push(e);
    process.on('unhandledRejection', onRejection);
    try {
      await boot();
      const { proxy, revoke } = Proxy.revocable(function db() {
        return true;
      }, {});
      registry.register('liveness', proxy, { name: 'db', intervalMs: 1000 });
      revoke();
      await advance(60_000);
      await advance(0);
      expect(rejections).toEqual([]);
      expect((await service.liveness()).status).toBe(false);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  it('never gives two checks registered together the same metrics label, even after one is unregistered', async () => {
    const own = new Registry();
    jest.useRealTimers();
    await boot({ metrics: { prometheus: own } });
    const offFirst = registry.register('readiness', () => true, { name: 'db' });
    registry.register('readiness', () => false, { name: 'db' });
    await service.readiness();
    offFirst();
    registry.register('readiness', () => true, { name: 'db' });
    await service.readiness();
    const text = await own.metrics();
    const statusLines = text.split('\n').filter((l) => l.startsWith('heartbeat_check_status{'));
    // The labels are the report's keys among the checks registered now (issue 25: no growing #n).
    expect(statusLines).toEqual([
      'heartbeat_check_status{probe="readiness",check="db"} 0',
      'heartbeat_check_status{probe="readiness",check="db#2"} 1',
    ]);
    expect(Object.keys((await service.readiness()).checks)).toEqual(['db', 'db#2']);
  });
});

describe('a revoked Proxy as a handler', () => {
  it('fails the check in request mode instead of rejecting', async () => {
    const app = await createApp('express', { imports: [HeartbeatModule.forRoot({ logger: false, environ: false })] });
    const { proxy, revoke } = Proxy.revocable(function db() {
      return true;
    }, {});
    app.get(ProbeRegistry).register('readiness', proxy, { name: 'db' });
    revoke();
    const r = await app.get(HeartbeatService).respond('readiness');
    await app.close();
    expect(r.statusCode).toBe(500);
    expect(JSON.parse(r.body)).toEqual({
      status: false,
      checks: { db: { status: false, message: expect.stringMatching(/^db failed: threw TypeError/) } },
    });
  });
});
