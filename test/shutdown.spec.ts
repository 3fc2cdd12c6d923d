import { type AppProcess, endedBySigterm, get, killIfRunning, spawnApp, startApp } from './support/shutdown-process.js';

const READINESS = '/.well-known/heartbeat/readiness';
const LIVELINESS = '/.well-known/heartbeat/liveliness';
const SHUTTING_DOWN = {
  status: false,
  checks: { shutdown: { status: false, message: 'the instance is shutting down' } },
};
// Loose on purpose: how long after the delay a process may take to end, on a busy machine too.
const EXIT_BOUND_MS = 5000;

describe('graceful shutdown of a real process', () => {
  let app: AppProcess | undefined;
  afterEach(() => killIfRunning(app));

  it('fails readiness at once on SIGTERM, keeps serving during the delay, and ends by itself', async () => {
    const delayMs = 3000;
    const started = await startApp({ SHUTDOWN_DELAY_MS: String(delayMs), SLOW_MS: '600' });
    app = started;
    const { port } = started;

    expect((await get(port, READINESS)).status).toBe(200);
    const inFlight = get(port, '/slow');
    // In flight for sure: the app has started answering it.
    await started.line(/^SLOW$/);

    const signalledAt = Date.now();
    started.child.kill('SIGTERM');
    // The app logs in the same turn as it marks itself shutting down: a request sent after the line
    // must fail. (One sent right after kill() may be read before the signal on a busy machine.)
    await started.line(/^LOG SIGTERM received/);
    let readiness = await get(port, READINESS);
    const firstAnswerMs = Date.now() - signalledAt;
    expect(readiness.status).toBe(500);
    expect(JSON.parse(readiness.body)).toEqual(SHUTTING_DOWN);
    // "At once": the first readiness request after the signal already fails (loose bound).
    expect(firstAnswerMs).toBeLessThan(500);

    expect((await get(port, LIVELINESS)).status).toBe(200);
    // Served right after the signal, and again once the in-flight request has been answered (600 ms
    // on): spaced by what the app did, not by sleeps that a busy machine could stretch past the delay.
    for (const later of [Promise.resolve(), inFlight]) {
      await later;
      expect(await get(port, '/')).toMatchObject({ status: 200, body: '{"hello":"world"}' });
      readiness = await get(port, READINESS);
      expect(readiness.status).toBe(500);
    }
    expect(await inFlight).toMatchObject({ status: 200, body: '{"slow":true}' });

    const exit = await started.exited;
    // Nest re-raises SIGTERM after its shutdown; either way the process ended by itself, not by a kill of ours.
    expect(endedBySigterm(exit)).toBe(true);
    expect(started.stderr()).toBe('');
    expect(exit.at - signalledAt).toBeGreaterThanOrEqual(delayMs - 50);
    expect(exit.at - signalledAt).toBeLessThan(delayMs + EXIT_BOUND_MS);
  }, 30_000);

  describe.each(['express', 'fastify'])('on %s', (adapter) => {
    it.each(['after-listen', 'after-init'])(
      'gets the delay when enableShutdownHooks() is called %s',
      async (hooks) => {
        const delayMs = 1500;
        const started = await startApp({ ADAPTER: adapter, HOOKS: hooks, SHUTDOWN_DELAY_MS: String(delayMs) });
        app = started;
        const signalledAt = Date.now();
        started.child.kill('SIGTERM');
        await started.line(/^LOG SIGTERM received/);
        const readiness = await get(started.port, READINESS);
        expect({ status: readiness.status, body: JSON.parse(readiness.body) }).toEqual({
          status: 500,
          body: SHUTTING_DOWN,
        });
        expect(await get(started.port, '/')).toMatchObject({ status: 200, body: '{"hello":"world"}' });

        const exit = await started.exited;
        expect(endedBySigterm(exit)).toBe(true);
        expect(started.stderr()).toBe('');
        expect(exit.at - signalledAt).toBeGreaterThanOrEqual(delayMs - 50);
        expect(exit.at - signalledAt).toBeLessThan(delayMs + EXIT_BOUND_MS);
      },
      30_000,
    );
  });

  describe('SIGTERM at every moment', () => {
    it('during the bootstrap, before listen(): the process ends cleanly', async () => {
      const spawned = spawnApp({ HOLD_INIT: '1', SHUTDOWN_DELAY_MS: '1500' });
      app = spawned;
      await spawned.line(/^INIT$/);
      const signalledAt = Date.now();
      spawned.child.kill('SIGTERM');
      const exit = await spawned.exited;
      expect(endedBySigterm(exit)).toBe(true);
      expect(spawned.stderr()).toBe('');
      // The app had not served yet, so nothing needs the delay; a bound, loose, that it was not hung.
      expect(exit.at - signalledAt).toBeLessThan(1500 + EXIT_BOUND_MS);
    }, 30_000);

    it('a second SIGTERM during the delay changes nothing: still serving, logged once, ends after the delay', async () => {
      const delayMs = 2000;
      const started = await startApp({ SHUTDOWN_DELAY_MS: String(delayMs) });
      app = started;
      const signalledAt = Date.now();
      started.child.kill('SIGTERM');
      await started.line(/^LOG SIGTERM received/);
      expect((await get(started.port, READINESS)).status).toBe(500);
      started.child.kill('SIGTERM');
      // Answered after the second signal: it neither cut the delay short nor closed the app twice.
      expect(await get(started.port, '/')).toMatchObject({ status: 200, body: '{"hello":"world"}' });
      expect((await get(started.port, READINESS)).status).toBe(500);

      const exit = await started.exited;
      expect(endedBySigterm(exit)).toBe(true);
      expect(started.stderr()).toBe('');
      expect(exit.at - signalledAt).toBeGreaterThanOrEqual(delayMs - 50);
      expect(exit.at - signalledAt).toBeLessThan(delayMs + EXIT_BOUND_MS);
      expect(started.lines.filter((line) => line.startsWith('LOG '))).toEqual([
        `LOG SIGTERM received: readiness fails from now on; closing in ${delayMs} ms so that routing can catch up`,
      ]);
    }, 30_000);

    it('app.close() from user code during the delay resolves once the delay is over, and the process ends', async () => {
      const delayMs = 2000;
      const started = await startApp({ SHUTDOWN_DELAY_MS: String(delayMs) });
      app = started;
      const signalledAt = Date.now();
      started.child.kill('SIGTERM');
      await started.line(/^LOG SIGTERM received/);
      expect(await get(started.port, '/close')).toMatchObject({ status: 200, body: '{"closing":true}' });
      // The user's close joined the one under way: the app still serves during the delay.
      expect(await get(started.port, '/')).toMatchObject({ status: 200, body: '{"hello":"world"}' });

      const exit = await started.exited;
      expect(endedBySigterm(exit)).toBe(true);
      expect(started.stderr()).toBe('');
      expect(started.lines).toContain('CLOSED');
      expect(exit.at - signalledAt).toBeGreaterThanOrEqual(delayMs - 50);
      expect(exit.at - signalledAt).toBeLessThan(delayMs + EXIT_BOUND_MS);
    }, 30_000);

    it('with shutdownDelayMs: 0, the process ends at once', async () => {
      const started = await startApp({ SHUTDOWN_DELAY_MS: '0' });
      app = started;
      expect((await get(started.port, READINESS)).status).toBe(200);
      const signalledAt = Date.now();
      started.child.kill('SIGTERM');
      const exit = await started.exited;
      expect(endedBySigterm(exit)).toBe(true);
      expect(started.stderr()).toBe('');
      expect(started.lines.filter((line) => line.startsWith('LOG '))).toEqual([]);
      expect(exit.at - signalledAt).toBeLessThan(EXIT_BOUND_MS);
    }, 30_000);
  });
});
