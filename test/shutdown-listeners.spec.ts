import { jest } from '@jest/globals';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import { Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeartbeatModule } from '../src/index.js';
import { ADAPTERS, type AdapterName, createApp } from './support/app.js';
import { get, keepAliveLoad } from './support/shutdown-process.js';

// In-process: the module's SIGTERM listener is called directly, never through a real signal (Nest's
// handler would re-raise it and end the test runner). Real signals are in shutdown.spec.ts.

const READINESS = '/.well-known/heartbeat/readiness';
const listeners = () => process.listeners('SIGTERM');
const counts = () => ({
  SIGTERM: process.listenerCount('SIGTERM'),
  newListener: process.listenerCount('newListener'),
  removeListener: process.listenerCount('removeListener'),
});

@Controller()
class BusyController {
  @Get('busy')
  async busy() {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return { busy: true };
  }
}

/** A listener that stands for any other SIGTERM handler (Nest's, a logger's, the user's). */
const other = () => undefined;

describe.each(ADAPTERS)('the SIGTERM listener (%s)', (adapter: AdapterName) => {
  const apps: INestApplication[] = [];
  const baseline = counts();
  const boot = async (delayMs = 0) => {
    const app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ shutdownDelayMs: delayMs, logger: false })],
      controllers: [BusyController],
    });
    apps.push(app);
    return app;
  };
  const ours = () => listeners().filter((listener) => listener !== other);
  afterEach(async () => {
    process.removeListener('SIGTERM', other);
    await Promise.all(apps.splice(0).map((app) => app.close()));
    expect(counts()).toEqual(baseline);
  });

  it('is added when another SIGTERM listener comes after the bootstrap, ahead of it', async () => {
    const app = await boot();
    // No other listener: one of ours alone would keep the process alive on SIGTERM.
    expect(counts().SIGTERM).toBe(baseline.SIGTERM);
    process.on('SIGTERM', other);
    expect(listeners()).toHaveLength(baseline.SIGTERM + 2);
    expect(listeners()[0]).not.toBe(other);

    const server = app.getHttpServer();
    expect((await get(await listen(app), READINESS)).status).toBe(200);
    ours()[0]!('SIGTERM');
    expect((await get((server.address() as AddressInfo).port, READINESS)).status).toBe(500);
  });

  it('goes when the last other SIGTERM listener goes, so that SIGTERM ends the process again', async () => {
    process.on('SIGTERM', other);
    await boot();
    await boot();
    expect(listeners()).toHaveLength(baseline.SIGTERM + 2);
    process.removeListener('SIGTERM', other);
    expect(counts().SIGTERM).toBe(baseline.SIGTERM);
    // ... and comes back with the next one.
    process.on('SIGTERM', other);
    expect(listeners()).toHaveLength(baseline.SIGTERM + 2);
  });

  it('is one for every app in the process, and everything of ours goes once the last app has closed', async () => {
    process.on('SIGTERM', other);
    const first = await boot();
    await boot();
    expect(listeners()).toHaveLength(baseline.SIGTERM + 2);
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    expect(listeners()).toHaveLength(baseline.SIGTERM + 2);
    await apps.pop()!.close();
    expect(listeners()).toEqual([other]);
  });

  it('answers with Connection: close from the signal on, and a second signal logs nothing more', async () => {
    const log = jest.fn();
    const app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ shutdownDelayMs: 100, logger: { log, error: log, warn: log } })],
    });
    apps.push(app);
    process.on('SIGTERM', other);
    const port = await listen(app);
    const agent = new Agent({ keepAlive: true });
    try {
      expect((await get(port, READINESS, agent)).connection).toBe('keep-alive');
      ours()[0]!('SIGTERM');
      ours()[0]!('SIGTERM');
      expect(await get(port, READINESS, agent)).toMatchObject({ status: 500, connection: 'close' });
      expect(log).toHaveBeenCalledTimes(1);
    } finally {
      agent.destroy();
    }
  });

  it('app.close() without a signal is not held open by keep-alive clients with requests in flight', async () => {
    const app = await boot();
    const load = keepAliveLoad(await listen(app), '/busy');
    await load.keptAlive(20);
    const closed = app.close().then(() => 'closed');
    apps.splice(apps.indexOf(app), 1);
    let timer: NodeJS.Timeout | undefined;
    // A loose bound: without Connection: close, Express answers on the busy connections for ever.
    const bound = new Promise((resolve) => (timer = setTimeout(resolve, 5000, 'still open')));
    expect(await Promise.race([closed, bound])).toBe('closed');
    clearTimeout(timer);
    await load.stop();
  });
});

async function listen(app: INestApplication): Promise<number> {
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer().address() as AddressInfo).port;
}
