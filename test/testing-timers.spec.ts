import { jest } from '@jest/globals';
import { type INestApplication, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { HeartbeatModule, type HeartbeatModuleOptions, ReadinessProbe } from 'nestjs-heartbeat';
import { expectProbe, fakeCheck, probe, restoreChecks, untilProbe } from 'nestjs-heartbeat/testing';
import { ADAPTERS, createApp } from './support/app.js';

/** A background check (every second; two failures in a row to fail, two passes to recover) and one that runs on each probe. */
@Injectable()
class Checks implements OnApplicationShutdown {
  closed = false;

  @ReadinessProbe({ intervalMs: 1000, failureThreshold: 2, successThreshold: 2 })
  db() {
    return true;
  }

  @ReadinessProbe({ cacheTtlMs: 10_000 })
  cache() {
    return true;
  }

  onApplicationShutdown(): void {
    this.closed = true;
  }
}

/**
 * The time story of the testing entry under Jest's fake timers, as docs/testing.md tells it: the
 * fake timers are installed before the app is created (the background loop arms its first timer at
 * bootstrap), and `advanceTimersByTimeAsync` moves the checks' timers and the clock together.
 */
describe.each(ADAPTERS)("the checks' time under Jest's fake timers, on %s", (adapter) => {
  let app: INestApplication | undefined;

  async function boot(options: HeartbeatModuleOptions = {}) {
    app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ logger: false, environ: false, ...options })],
      providers: [Checks],
    });
    return app;
  }
  const advance = (ms: number) => jest.advanceTimersByTimeAsync(ms);

  beforeEach(() => {
    // What docs/testing.md says to fake: every timer and Date, as Vitest's defaults do. nextTick and
    // queueMicrotask stay real: with them faked, Fastify's ready() never resolves (Express starts).
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'], now: 1_000_000 });
  });
  afterEach(async () => {
    restoreChecks();
    jest.useRealTimers();
    jest.restoreAllMocks();
    await app?.close();
    app = undefined;
  });

  it('a background check fails after failureThreshold runs, and recovers after successThreshold', async () => {
    await boot();
    fakeCheck(app!, 'db', { status: false, message: 'connection refused' });
    await advance(1100); // one run (every 900-1100 ms): one failure, still reported passing
    expectProbe(await probe(app!, 'readiness')).toPass();
    const failing = untilProbe(app!, 'readiness', 'fail');
    await advance(1100); // the second failure in a row
    expectProbe(await failing).toFail('db', 'connection refused');

    restoreChecks(app!);
    const passing = untilProbe(app!, 'readiness', 'pass', { timeoutMs: 60_000 });
    await advance(1100);
    expectProbe(await probe(app!, 'readiness')).toFail('db'); // one pass is not enough
    await advance(1100);
    expectProbe(await passing).toPass('db');
  });

  it("untilProbe's timeout is fake time too: it fails when the clock passes it", async () => {
    await boot();
    const waiting = untilProbe(app!, 'readiness', 'fail', { timeoutMs: 3000 });
    const outcome = waiting.then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    await advance(3000);
    expect(await outcome).toBe('untilProbe: readiness did not fail within 3000 ms; it last answered 200');
  });

  it('a hung background call goes stale after staleAfterMs', async () => {
    await boot({ timeoutMs: 0, abandonAfterMs: 0, staleAfterMs: 1500 });
    fakeCheck(app!, 'db', 'hang');
    await advance(1100); // the next run hangs
    expectProbe(await probe(app!, 'readiness')).toPass();
    await advance(1500);
    expectProbe(await probe(app!, 'readiness')).toFail(
      'db',
      /^Checks\.db: its last result is [\d.]+ s old although it runs every 1000 ms: its call started [\d.]+ s ago has not settled/,
    );
  });

  it('a cached result is answered until cacheTtlMs has passed', async () => {
    await boot();
    expectProbe(await probe(app!, 'readiness')).toPass('cache');
    fakeCheck(app!, 'cache', { status: false, message: 'evicted' });
    await advance(9999);
    expectProbe(await probe(app!, 'readiness')).toPass('cache');
    await advance(1);
    expectProbe(await probe(app!, 'readiness')).toFail('cache', 'evicted');
  });

  it('a hanging check fails by its timeout once the clock reaches it', async () => {
    await boot();
    fakeCheck(app!, 'cache', 'hang');
    const asked = probe(app!, 'readiness');
    await advance(800);
    expectProbe(await asked).toFail('cache', 'Checks.cache timed out after 800 ms');
  });

  it('SIGTERM fails readiness at once; the close waits shutdownDelayMs of fake time', async () => {
    await boot({ shutdownDelayMs: 5000 });
    app!.enableShutdownHooks(['SIGTERM']);
    // Nest re-raises the signal once closed: in a test, that would end the test runner.
    const kill = jest.spyOn(process, 'kill').mockImplementation(() => true);
    process.emit('SIGTERM', 'SIGTERM');
    expectProbe(await probe(app!, 'readiness')).toFail();
    await advance(4999);
    expect(app!.get(Checks).closed).toBe(false);
    await advance(1);
    expect(app!.get(Checks).closed).toBe(true);
    expect(kill).toHaveBeenCalledWith(process.pid, 'SIGTERM');
    app = undefined; // closed by the signal
  });
});

describe("Jest's default fake timers (nextTick and queueMicrotask faked too), on Express", () => {
  let app: INestApplication | undefined;
  const advance = (ms: number) => jest.advanceTimersByTimeAsync(ms);

  beforeEach(() => jest.useFakeTimers());
  afterEach(async () => {
    restoreChecks();
    jest.useRealTimers();
    await app?.close();
    app = undefined;
  });

  it("the module's own timers (timeouts armed on a tick, the background loop) follow advanceTimersByTimeAsync", async () => {
    app = await createApp('express', {
      imports: [HeartbeatModule.forRoot({ logger: false, environ: false })],
      providers: [Checks],
    });
    fakeCheck(app, 'db', false);
    const failing = untilProbe(app, 'readiness', 'fail');
    await advance(2200);
    expectProbe(await failing).toFail('db');
    fakeCheck(app, 'cache', 'hang');
    await advance(10_000);
    const asked = probe(app, 'readiness');
    await advance(800);
    expectProbe(await asked).toFail('cache', 'Checks.cache timed out after 800 ms');
  });
});
