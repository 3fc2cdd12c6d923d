import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { HeartbeatModule, HeartbeatService, ProbeRegistry } from '../src/index.js';
import { BackgroundScheduler } from '../src/run/background.scheduler.js';
import { createApp } from './support/app.js';
import { gate } from './support/gate.js';
import { send, serve, TRANSPORTS } from './support/transports.js';

const BASE = '/.well-known/heartbeat';

/**
 * Why a background check's result went stale: its own call has not settled (a hung handler, waiting
 * on its timeout or abandoning), or no tick has started a run (the loop that runs it is stuck).
 */
describe('a stale background result says why', () => {
  let app: INestApplication | undefined;
  let service: HeartbeatService;
  let registry: ProbeRegistry;

  beforeEach(() => {
    // The checks' timers and the clock are the test's; sockets keep their real ticks.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'], now: 1_000_000 });
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    jest.useRealTimers();
  });

  async function boot(options: Parameters<typeof HeartbeatModule.forRoot>[0] = {}) {
    app = await createApp('express', {
      imports: [HeartbeatModule.forRoot({ logger: false, environ: false, ...options })],
    });
    service = app.get(HeartbeatService);
    registry = app.get(ProbeRegistry);
  }

  /** Lets pending promise jobs and the timers due by then run. */
  const advance = (ms: number) => jest.advanceTimersByTimeAsync(ms);

  it.each(TRANSPORTS)(
    '%s: a hung call is reported as a call that has not settled, not as a stuck loop',
    async (transport) => {
      const hang = gate();
      const served = await serve(transport, { environ: false, timeoutMs: 0, abandonAfterMs: 0 });
      app = served.app;
      app
        .get(ProbeRegistry)
        .register('readiness', () => hang.promise, { name: 'db', intervalMs: 1000, staleAfterMs: 1500 });
      await advance(1501);
      const answer = await send(served.url, 'GET', `${BASE}/readiness`);
      expect(answer.status).toBe(500);
      expect(JSON.parse(answer.body)).toEqual({
        status: false,
        checks: {
          db: {
            status: false,
            message:
              'db: no result yet although it runs every 1000 ms: its call started 1.5 s ago has not settled (timeoutMs and abandonAfterMs are 0: it is waited for until it settles)',
          },
        },
      });
      hang.resolve(true);
      await advance(0);
      expect((await send(served.url, 'GET', `${BASE}/readiness`)).status).toBe(200);
    },
  );

  it.each(TRANSPORTS)('%s: a scheduler that stopped firing is the loop that is stuck', async (transport) => {
    const served = await serve(transport, { environ: false });
    app = served.app;
    app.get(ProbeRegistry).register('readiness', () => true, { name: 'db', intervalMs: 1000, staleAfterMs: 1500 });
    await advance(0);
    expect((await send(served.url, 'GET', `${BASE}/readiness`)).status).toBe(200);
    // The scheduler stops (as at shutdown) while the app keeps answering: no tick starts a run any more.
    app.get(BackgroundScheduler).onApplicationShutdown();
    await advance(1501);
    const answer = await send(served.url, 'GET', `${BASE}/readiness`);
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.body).checks.db).toEqual({
      status: false,
      message: 'db: its last result is 1.5 s old although it runs every 1000 ms: the loop that runs it is stuck',
    });
  });

  it('says what ends a hung call that outlasts staleAfterMs: its timeout, or its abandoning', async () => {
    const hang = gate();
    await boot({ abandonAfterMs: 0 });
    registry.register('readiness', () => hang.promise, {
      name: 'timed',
      intervalMs: 1000,
      timeoutMs: 5000,
      staleAfterMs: 1500,
    });
    registry.register('readiness', () => hang.promise, {
      name: 'abandoned',
      intervalMs: 1000,
      timeoutMs: 0,
      abandonAfterMs: 4000,
      staleAfterMs: 1500,
    });
    await advance(1501);
    const { checks } = await service.readiness();
    expect(checks.timed.message).toBe(
      'timed: no result yet although it runs every 1000 ms: its call started 1.5 s ago has not settled (it times out after 5000 ms)',
    );
    expect(checks.abandoned.message).toBe(
      'abandoned: no result yet although it runs every 1000 ms: its call started 1.5 s ago has not settled (no timeout: it is abandoned and called again after 4000 ms)',
    );
    hang.resolve(true);
    await advance(0);
    expect(await service.readiness()).toEqual({
      status: true,
      checks: { timed: { status: true }, abandoned: { status: true } },
    });
  });
});
