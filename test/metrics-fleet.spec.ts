import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Registry } from 'prom-client';
import { HeartbeatModule, HeartbeatService, ProbeRegistry } from '../src/index.js';
import { LAG_TICK_MS, LAG_WINDOW_MS, MainLoopLag } from '../src/observers/metrics/main-loop-lag.js';
import { createApp } from './support/app.js';
import { gate } from './support/gate.js';
import { samples } from './support/prometheus-text.js';

/** The metrics the fleet's alerts need beyond the status: stale background results and the main loop's lag. */
describe('metrics for the fleet alerts', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    jest.useRealTimers();
  });

  async function boot(registry: Registry) {
    app = await createApp('express', {
      imports: [HeartbeatModule.forRoot({ logger: false, environ: false, metrics: { prometheus: registry } })],
    });
    return { service: app.get(HeartbeatService), registry: app.get(ProbeRegistry) };
  }

  it('heartbeat_check_stale is 1 while a background result is stale, 0 for a fresh one', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'], now: 1_000_000 });
    const own = new Registry();
    const { registry } = await boot(own);
    const hang = gate();
    let calls = 0;
    // Passes once, then hangs with no timeout: the loop waits on it and the result ages.
    const db = () => (calls++ === 0 ? true : hang.promise);
    const policy = { intervalMs: 1000, staleAfterMs: 1500, timeoutMs: 0, abandonAfterMs: 0 };
    registry.register('readiness', db, { name: 'db', ...policy });
    registry.register('readiness', () => true, { name: 'cache', intervalMs: 1000 });
    await jest.advanceTimersByTimeAsync(100);
    expect(samples(await own.metrics()).get('heartbeat_check_stale{probe="readiness",check="db"}')).toBe(0);
    await jest.advanceTimersByTimeAsync(3000);
    const found = samples(await own.metrics());
    expect(found.get('heartbeat_check_stale{probe="readiness",check="db"}')).toBe(1);
    expect(found.get('heartbeat_check_status{probe="readiness",check="db"}')).toBe(0);
    expect(found.get('heartbeat_check_stale{probe="readiness",check="cache"}')).toBe(0);
    expect(found.get('heartbeat_check_status{probe="readiness",check="cache"}')).toBe(1);
    hang.resolve(true);
    await jest.advanceTimersByTimeAsync(1001);
    expect(samples(await own.metrics()).get('heartbeat_check_stale{probe="readiness",check="db"}')).toBe(0);
  });

  it('heartbeat_main_loop_lag_seconds reports a blocked main loop once it turns again', async () => {
    const own = new Registry();
    await boot(own);
    const started = performance.now();
    // The test blocks the loop itself: nothing can tick for these 600 ms (the tick due in them comes
    // at least 600 - LAG_TICK_MS late).
    while (performance.now() - started < 600);
    await new Promise((resolve) => setTimeout(resolve, 2 * LAG_TICK_MS));
    expect(samples(await own.metrics()).get('heartbeat_main_loop_lag_seconds')).toBeGreaterThanOrEqual(
      (600 - LAG_TICK_MS) / 1000,
    );
    await app!.close();
    app = undefined;
    expect(await own.metrics()).not.toContain('heartbeat_main_loop_lag_seconds');
  });

  it('MainLoopLag keeps the longest delay of the current and the previous window, then forgets it', () => {
    let now = 0;
    const lag = new MainLoopLag(() => now);
    lag.start();
    lag.stop();
    const turn = (ms: number) => {
      for (let spent = 0; spent < ms; spent += LAG_TICK_MS) {
        now += LAG_TICK_MS;
        lag.tick();
      }
    };
    turn(1_000);
    expect(lag.seconds()).toBe(0);
    now += LAG_TICK_MS + 2_500;
    lag.tick();
    expect(lag.seconds()).toBe(2.5);
    turn(LAG_WINDOW_MS);
    // A window later the stall is in the previous window: still reported.
    expect(lag.seconds()).toBe(2.5);
    turn(LAG_WINDOW_MS);
    expect(lag.seconds()).toBe(0);
  });
});
