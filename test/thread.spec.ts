import { type INestApplication, Injectable } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { EnvironProbe, HeartbeatModule, ProbeRegistry, ReadinessProbe } from '../src/index.js';
import { resolveOptions } from '../src/heartbeat.options.js';
import { SHUTTING_DOWN } from '../src/heartbeat.messages.js';
import { ProbeEvaluator } from '../src/run/probe-evaluator.js';
import { BackgroundScheduler } from '../src/run/background.scheduler.js';
import { RecordingLogger } from './support/logger.js';
import { createThreadApp, portOf, probe, until, WORKER_ENTRY, withoutMainThread } from './support/thread.js';

const BASE = '/.well-known/heartbeat';
const CRASHING_WORKER = join(process.cwd(), 'test', 'fixtures', 'thread-crash-worker.mjs');
/** How long the test of idle publishing watches an app that receives no request. */
const IDLE_WINDOW_MS = 2_000;

@Injectable()
class Checks {
  @ReadinessProbe()
  db() {
    return true;
  }
  @ReadinessProbe()
  cache() {
    return { status: false, message: 'cache is cold' };
  }
}

describe('thread: true', () => {
  const apps: INestApplication[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  async function boot(options: Parameters<typeof HeartbeatModule.forRoot>[0], providers: unknown[] = [Checks]) {
    const app = await createThreadApp({
      // Thresholds far above any lag a loaded machine causes: these tests are about what is published.
      imports: [
        HeartbeatModule.forRoot({
          logger: false,
          port: 0,
          intervalMs: 100,
          ...(options?.thread ? { maxLagMs: 60_000, maxStallMs: 60_000 } : {}),
          ...options,
        }),
      ],
      providers: providers as never[],
    });
    apps.push(app);
    return app;
  }
  /** Waits until readiness on `port` reports every check's first result. */
  const settled = (port: number) =>
    until(
      () => probe(port, `${BASE}/readiness`),
      ({ body }) => !body.includes('no result yet'),
    );

  it('answers the status, headers and bodies of the main-thread port, adding only mainThread', async () => {
    const threaded = portOf(await boot({ thread: true }));
    const plain = portOf(await boot({}));
    await Promise.all([settled(threaded), settled(plain)]);
    const cases: [string, string?][] = [
      ['/readiness'],
      ['/liveness'],
      ['/liveliness'],
      ['/startup'],
      ['/readiness/db'],
      ['/readiness?exclude=cache'],
      ['/readiness', 'HEAD'],
      ['/nope'],
      ['/readiness/%E0'],
      ['/readiness', 'POST'],
    ];
    for (const [path, method] of cases) {
      const [ours, theirs] = await Promise.all(
        [threaded, plain].map((port) => probe(port, BASE + path, { Accept: '*/*' }, method)),
      );
      const kept = method === undefined && /^\/(readiness|liveness|liveliness)$/.test(path);
      expect([path, ours.status]).toEqual([path, theirs.status]);
      expect(kept ? withoutMainThread(ours.body) : ours.body).toBe(theirs.body);
      for (const header of ['content-type', 'cache-control', 'allow']) {
        expect([path, header, ours.headers[header]]).toEqual([path, header, theirs.headers[header]]);
      }
    }
    const readiness = JSON.parse((await probe(threaded, `${BASE}/readiness`)).body);
    expect(readiness.status).toBe(false);
    expect(readiness.mainThread).toEqual({ status: true, lagMs: expect.any(Number), maxLagMs: 60000 });
    const liveness = JSON.parse((await probe(threaded, `${BASE}/liveness`)).body);
    expect(liveness).toEqual({
      status: true,
      checks: {},
      mainThread: { status: true, stalledMs: expect.any(Number), lagMs: expect.any(Number), maxStallMs: 60000 },
    });
  });

  it('reports a background result that has gone stale as failing, as background mode does', async () => {
    let stuck = false;
    @Injectable()
    class Stuck {
      @ReadinessProbe()
      db() {
        // Passes until the test says so; from then on a run never settles, so the last result only ages.
        return stuck ? new Promise(() => undefined) : true;
      }
    }
    const port = portOf(await boot({ thread: true, timeoutMs: 0, abandonAfterMs: 0, staleAfterMs: 1000 }, [Stuck]));
    const passing = await until(
      () => probe(port, `${BASE}/readiness`),
      ({ status }) => status === 200,
    );
    stuck = true;
    const stale = await until(
      () => probe(port, `${BASE}/readiness`),
      ({ body }) =>
        body.includes('has not settled (timeoutMs and abandonAfterMs are 0: it is waited for until it settles)'),
    );
    expect(JSON.parse(passing.body).checks.db).toEqual({ status: true });
    expect(stale.status).toBe(500);
    expect(JSON.parse(stale.body).checks.db.status).toBe(false);
  });

  it('fails readiness as soon as shutdown starts, keeps liveness, and closes the port with the app', async () => {
    const app = await boot({ thread: true }, []);
    const port = portOf(app);
    expect((await probe(port, `${BASE}/readiness`)).status).toBe(200);
    app.get(ProbeEvaluator).markShuttingDown();
    const readiness = await until(
      () => probe(port, `${BASE}/readiness`),
      ({ status }) => status === 500,
    );
    expect(JSON.parse(readiness.body).checks.shutdown.message).toBe(SHUTTING_DOWN);
    expect(readiness.headers.connection).toBe('close');
    expect((await probe(port, `${BASE}/liveness`)).status).toBe(200);
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    await expect(probe(port, `${BASE}/liveness`)).rejects.toThrow('ECONNREFUSED');
  });

  it('runs a check with its own intervalMs 0 in the background too: the worker never runs checks', async () => {
    const app = await boot({ thread: true }, []);
    app.get(ProbeRegistry).register('readiness', () => true, { name: 'flag', intervalMs: 0 });
    expect(app.get(BackgroundScheduler).size).toBe(1);
  });

  it('runs environ about once a second while idle: a result that says the same again publishes nothing', async () => {
    let calls = 0;
    @Injectable()
    class Build {
      @EnvironProbe()
      build() {
        calls++;
        // New data on every call (a nested object), as many contributors return.
        return { commit: 'abc123', runtime: { node: process.version } };
      }
    }
    // Checks in the background every 100 ms, each result the same as the last.
    const port = portOf(await boot({ thread: true }, [Checks, Build]));
    await settled(port);
    const before = calls;
    await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
    // Once a second by the republish timer; publishing on every result ran it 20 times a second, and
    // publishing what environ recorded ran it in an endless loop.
    expect(calls - before).toBeLessThanOrEqual(IDLE_WINDOW_MS / 1000 + 2);
  });

  it('fails the bootstrap with a clear message where worker threads are not available', async () => {
    const booting = createThreadApp(
      { imports: [HeartbeatModule.forRoot({ logger: false, port: 0, thread: true })] },
      { Worker: null },
    );
    await expect(booting).rejects.toThrow(
      'HeartbeatModule: option "thread" needs worker threads (node:worker_threads and SharedArrayBuffer), which are not available here (no Worker).',
    );
  });

  describe('failures', () => {
    let taken: Server | undefined;
    afterEach(() => new Promise<void>((resolve) => (taken ? taken.close(() => resolve()) : resolve())));

    it('fails the bootstrap with the listen error when the port is taken', async () => {
      taken = createServer();
      await new Promise<void>((resolve) => taken!.listen(0, '127.0.0.1', resolve));
      const { port } = taken.address() as { port: number };
      const booting = createThreadApp({
        imports: [HeartbeatModule.forRoot({ logger: false, port, thread: true })],
      });
      await expect(booting).rejects.toThrow(
        `HeartbeatModule: the management server could not listen on 127.0.0.1:${port}: listen EADDRINUSE`,
      );
    });

    it('fails the bootstrap when the worker dies before it listens', async () => {
      const booting = createThreadApp(
        { imports: [HeartbeatModule.forRoot({ logger: false, port: 1, thread: true })] },
        { entry: CRASHING_WORKER },
      );
      await expect(booting).rejects.toThrow(
        "HeartbeatModule: the management port's worker thread could not start: the worker broke before listening",
      );
    });

    it('logs a worker that crashes once started, and the app lives on and closes', async () => {
      const logger = new RecordingLogger();
      const app = await createThreadApp(
        { imports: [HeartbeatModule.forRoot({ logger, port: 0, thread: true, environ: false })] },
        { entry: CRASHING_WORKER },
      );
      const failed = await until(
        async () => logger.messages('error'),
        (errors) => errors.some((line) => line.includes('exited with code')),
      );
      expect(failed).toEqual([
        "the management port's worker thread failed: the worker broke after it started; the port no longer answers, so the kubelet's probes fail",
        "the management port's worker thread failed: it exited with code 1; the port no longer answers, so the kubelet's probes fail",
      ]);
      await app.close();
    });
  });

  it('loads nothing in the worker but its own small files: no Nest, no app code', () => {
    const dist = join(process.cwd(), 'dist');
    const seen = new Set<string>();
    const bare: string[] = [];
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/require\("([^"]+)"\)/g)) {
        if (specifier.startsWith('.'))
          walk(join(dirname(file), specifier.endsWith('.js') ? specifier : `${specifier}.js`));
        else bare.push(specifier);
      }
    };
    walk(WORKER_ENTRY);
    expect(bare.sort()).toEqual(['node:http', 'node:worker_threads']);
    expect([...seen].map((file) => relative(dist, file)).sort()).toEqual([
      'heartbeat.constants.js',
      'heartbeat.messages.js',
      'probe/check-name.js',
      'probe/probe-kinds.js',
      'probe/route-table.js',
      'report/formats/json.format.js',
      'transport/heartbeat.worker.js',
      'transport/probe-answers.js',
      'transport/probe-http.js',
      'transport/thread.protocol.js',
      'transport/worker.status.js',
      'util/define-key.js',
      'util/redact.js',
      'util/text.js',
    ]);
  });
});

describe('thread options', () => {
  it('defaults to background checks every 5000 ms, maxStallMs 10000 and maxLagMs 250', () => {
    const options = resolveOptions({ port: 0, thread: true });
    expect([options.intervalMs, options.thread]).toEqual([5000, { maxStallMs: 10000, maxLagMs: 250 }]);
    expect(resolveOptions({ port: 0 }).thread).toBeNull();
  });

  it.each([
    [{ thread: true }, 'option "thread" must be false unless a port is set'],
    [{ port: 0, thread: 'yes' }, 'option "thread" must be true or false (got "yes")'],
    [{ port: 0, maxStallMs: 5000 }, 'option "maxStallMs" must be left out unless thread is true'],
    [{ port: 0, thread: true, intervalMs: 0 }, 'option "intervalMs" must be from 100 with thread: true'],
    [{ port: 0, thread: true, maxStallMs: 100 }, 'option "maxStallMs" must be a whole number of milliseconds from 500'],
    [{ port: 0, thread: true, maxLagMs: 1.5 }, 'option "maxLagMs" must be a whole number of milliseconds from 100'],
    [{ port: 0, thread: true, maxLagMs: 2 ** 31 }, 'option "maxLagMs" must be a whole number'],
  ])('refuses %j', (options, message) => {
    expect(() => resolveOptions(options as never)).toThrow(message);
  });
});
