import { Agent } from 'node:http';
import {
  type AppProcess,
  endedBySigterm,
  type Exit,
  get,
  keepAliveLoad,
  killIfRunning,
  nextInSequence,
  type Outcome,
  startApp,
} from './support/shutdown-process.js';

// Loose on purpose: the process must end within the delay plus this, on a busy machine too.
const EXIT_BOUND_MS = 3000;
// Refusals a client may meet once the server has stopped listening.
const CLEAN_REFUSALS = ['ECONNREFUSED', 'ECONNRESET'];

/**
 * What every keep-alive client must see through a SIGTERM: answers for as long as the app serves (the
 * whole delay: the close cannot start before `signalledAt + delayMs`, whatever the machine's speed),
 * then answers or clean refusals while it closes.
 */
function expectAnsweredThenRefused(outcomes: readonly Outcome[], closeNotBefore: number): void {
  for (const outcome of outcomes) {
    if (outcome.endedAt < closeNotBefore) {
      expect({ ...outcome, answer: outcome.answer?.status }).toEqual({ ...outcome, answer: 200 });
    } else if (outcome.error !== undefined) {
      expect(CLEAN_REFUSALS).toContain(outcome.error);
    } else {
      // Fastify answers 503 to requests that come on an open connection while it closes.
      expect([200, 503]).toContain(outcome.answer!.status);
    }
  }
}

/** The exit, or `null` if the process still runs `ms` from now (the test then fails instead of hanging). */
function exitWithin(app: AppProcess, ms: number): Promise<Exit | null> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    app.exited.finally(() => clearTimeout(timer)),
    new Promise<null>((resolve) => (timer = setTimeout(resolve, ms, null))),
  ]);
}

describe.each(['express', 'fastify'])('SIGTERM under steady keep-alive load (%s)', (adapter) => {
  let app: AppProcess | undefined;
  afterEach(() => killIfRunning(app));

  it.each([1500, 0])(
    'with shutdownDelayMs %i: answers every request, says Connection: close after the signal, and exits in time',
    async (delayMs) => {
      const started = await startApp({ ADAPTER: adapter, SHUTDOWN_DELAY_MS: String(delayMs) });
      app = started;
      // /busy answers after a few milliseconds, so the connections are mostly busy: Node's own
      // server.close() then closes none of them, and without Connection: close they would keep serving.
      const load = keepAliveLoad(started.port, '/busy');
      // Steady load first: the clients hold keep-alive connections when the signal comes.
      await load.keptAlive(20);
      const signalledAt = Date.now();
      started.child.kill('SIGTERM');
      // Without a delay there is no log line to tell when the app had the signal: only the end counts.
      const acknowledged = delayMs > 0 ? (await started.line(/^LOG SIGTERM received/), nextInSequence()) : Infinity;
      const exit = await exitWithin(started, delayMs + EXIT_BOUND_MS);
      const outcomes = await load.stop();

      expect(exit).not.toBeNull();
      expect(endedBySigterm(exit!)).toBe(true);
      expect(started.stderr()).toBe('');
      expect(exit!.at - signalledAt).toBeGreaterThanOrEqual(delayMs - 50);
      expectAnsweredThenRefused(outcomes, signalledAt + delayMs);
      // Requests sent once the app had the signal were answered with Connection: close, so clients
      // move to other pods instead of holding this one open.
      const afterSignal = outcomes.filter((outcome) => outcome.sent > acknowledged && outcome.answer);
      for (const { answer } of afterSignal) expect(answer!.connection).toBe('close');
      if (delayMs > 0) expect(afterSignal.length).toBeGreaterThan(0);
    },
    30_000,
  );

  it('closes a keep-alive connection that stays idle through the delay', async () => {
    const started = await startApp({ ADAPTER: adapter, SHUTDOWN_DELAY_MS: '1500' });
    app = started;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(started.port, '/', agent);
      expect(first.connection).toBe('keep-alive');
      started.child.kill('SIGTERM');
      const exit = await exitWithin(started, 1500 + EXIT_BOUND_MS);
      expect(exit).not.toBeNull();
      expect(endedBySigterm(exit!)).toBe(true);
    } finally {
      agent.destroy();
    }
  }, 30_000);
});
