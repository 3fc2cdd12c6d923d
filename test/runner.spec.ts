import { Injectable, type INestApplication, Logger } from '@nestjs/common';
import { get as httpGet } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  HeartbeatModule,
  type HeartbeatModuleOptions,
  HeartbeatService,
  LivelinessProbe,
  ProbeRegistry,
  ReadinessProbe,
} from '../src/index.js';
import { ProbeSerializer } from '../src/report/probe.serializer.js';
import { ADAPTERS, createApp } from './support/app.js';
import { RecordingLogger } from './support/logger.js';

const BASE = '/.well-known/heartbeat';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise the test settles: the handler waits on it, not on the clock. */
function gate<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ([resolve, reject] = [res, rej]));
  return { promise, resolve, reject };
}

describe.each(ADAPTERS)('the probe runner (%s)', (adapter) => {
  let app: INestApplication;
  const boot = async (options: HeartbeatModuleOptions = {}) => {
    app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger: false, ...options })] });
    return app.get(ProbeRegistry);
  };
  const get = (probe: string) => request(app.getHttpServer()).get(`${BASE}/${probe}`);
  afterEach(() => app?.close());

  it('runs the checks of a probe concurrently', async () => {
    // Each check waits until all five are running: run one after another, the first would time out.
    const registry = await boot({ timeoutMs: 60_000 });
    const allRunning = gate();
    let running = 0;
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      registry.register(
        'readiness',
        async () => {
          if (++running === 5) allRunning.resolve();
          await allRunning.promise;
        },
        { name },
      );
    }
    const res = await get('readiness');
    expect(res.status).toBe(200);
    expect(running).toBe(5);
  });

  it('fails a hanging check after its timeout, naming it, and still reports the others', async () => {
    const registry = await boot({ timeoutMs: 150 });
    registry.register('readiness', () => new Promise(() => undefined), { name: 'hangs' });
    registry.register('readiness', () => new Promise(() => undefined), { name: 'slow', timeoutMs: 50 });
    registry.register('readiness', () => true, { name: 'fine' });
    const started = Date.now();
    const res = await get('readiness');
    expect(Date.now() - started).toBeLessThan(150 + 2000);
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      status: false,
      checks: {
        hangs: { status: false, message: 'hangs timed out after 150 ms' },
        slow: { status: false, message: 'slow timed out after 50 ms' },
        fine: { status: true },
      },
    });
  });

  it('leaves no timer behind once a request is answered', async () => {
    const registry = await boot({ timeoutMs: 60_000 });
    registry.register('readiness', async () => true, { name: 'async' });
    registry.register('readiness', () => sleep(20).then(() => true), { name: 'slower' });
    // A listening server and connections without keep-alive, so no timer of the test's own comes or goes.
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    const probe = () =>
      new Promise<number>((resolve, reject) =>
        httpGet({ host: '127.0.0.1', port, path: `${BASE}/readiness`, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        }).on('error', reject),
      );
    await probe();
    await sleep(50);
    const timeouts = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timeouts();
    expect(await probe()).toBe(200);
    // A 60 s timeout timer that was not cleared would still be active for a minute; the connection's
    // own socket timer goes once the connection has closed, which may take a few milliseconds.
    const deadline = Date.now() + 2000;
    while (timeouts() > before && Date.now() < deadline) await sleep(25);
    expect(timeouts()).toBeLessThanOrEqual(before);
  });

  it('swallows the late rejection of a timed-out check', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const registry = await boot({ timeoutMs: 50 });
      const late = gate();
      registry.register('readiness', () => late.promise, { name: 'late' });
      const res = await get('readiness');
      expect(res.body.checks.late.message).toBe('late timed out after 50 ms');
      late.reject(new Error('late'));
      // A rejection nobody handles is reported after the microtasks of its turn: let a few turns pass.
      for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('never calls a handler again while its previous call is still running', async () => {
    const registry = await boot({ timeoutMs: 100 });
    const first = gate<boolean>();
    let calls = 0;
    registry.register('readiness', () => (++calls === 1 ? first.promise : true), { name: 'slow' });
    const timedOut = await get('readiness');
    expect(timedOut.body.checks.slow.message).toBe('slow timed out after 100 ms');
    const second = await get('readiness');
    expect(second.body.checks.slow.message).toMatch(
      /^slow timed out after 100 ms \(its previous call, started \d+\.\d s ago, has not settled\)$/,
    );
    expect(calls).toBe(1);
    first.resolve(true);
    await first.promise;
    await new Promise((resolve) => setImmediate(resolve));
    const third = await get('readiness');
    expect(third.body.checks.slow).toEqual({ status: true });
    expect(calls).toBe(2);
  });

  it('coalesces concurrent requests into one run of each handler', async () => {
    const registry = await boot({ timeoutMs: 60_000 });
    const release = gate();
    let calls = 0;
    registry.register('readiness', () => (calls++, release.promise.then(() => true)), { name: 'database' });
    // The check is released once all 100 requests have reached the responder (and so joined the run).
    const responder = app.get(ProbeSerializer);
    const respond = responder.respond.bind(responder);
    let arrived = 0;
    responder.respond = (...args) => {
      if (++arrived === 100) release.resolve();
      return respond(...args);
    };
    await app.listen(0, '127.0.0.1');
    const url = `${await app.getUrl()}${BASE}/readiness`;
    const responses = await Promise.all(
      Array.from({ length: 100 }, () =>
        fetch(url).then(async (res) => ({
          status: res.status,
          body: (await res.json()) as { checks: Record<string, { status: boolean }> },
        })),
      ),
    );
    expect(responses.every((res) => res.status === 200 && res.body.checks.database.status === true)).toBe(true);
    expect(calls).toBe(1);
  });

  it('serves a cached result for cacheTtlMs, module-wide and per check', async () => {
    const registry = await boot({ cacheTtlMs: 60_000 });
    let moduleCached = 0;
    let uncached = 0;
    registry.register('liveliness', () => ({ status: true, call: ++moduleCached }), { name: 'cached' });
    registry.register('liveliness', () => ({ status: true, call: ++uncached }), { name: 'fresh', cacheTtlMs: 0 });
    for (let i = 0; i < 3; i++) await get('liveliness');
    const res = await get('liveliness');
    expect(res.body.checks).toEqual({ cached: { status: true, call: 1 }, fresh: { status: true, call: 4 } });
  });

  it('turns every kind of bad handler into a failing check with a clear message', async () => {
    const registry = await boot({ details: 'always' });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const bad: Record<string, () => unknown> = {
      throwsString: () => {
        throw 'plain string';
      },
      throwsObject: () => {
        throw { code: 42 };
      },
      throwsNull: () => {
        throw null;
      },
      throwsUndefined: () => {
        throw undefined;
      },
      rejectsNonError: () => Promise.reject(7),
      string: () => 'ok',
      number: () => 1,
      shortTuple: () => ['x'],
      longTuple: () => ['x', true, {}, 'extra'],
      tupleBadStatus: () => ['x', 'yes'],
      tupleBadName: () => [42, true],
      objectBadStatus: () => ({ status: 'up' }),
      objectNoStatus: () => ({ latency: 3 }),
      notPlainData: () => ['x', true, new Map()],
      classInstance: () => new (class Result {})(),
      circular: () => ({ status: true, circular }),
      bigint: () => ({ status: true, count: 10n }),
      huge: () => ({ status: true, blob: 'x'.repeat(20_000) }),
      throwingGetter: () => ({
        get status(): boolean {
          throw new Error('getter exploded');
        },
      }),
      ok: () => true,
    };
    for (const [name, handler] of Object.entries(bad)) registry.register('readiness', handler, { name });
    const res = await get('readiness');
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const messages = Object.fromEntries(
      Object.entries(res.body.checks as Record<string, { message?: string }>).map(([k, v]) => [k, v.message]),
    );
    expect(messages).toEqual({
      throwsString: 'throwsString failed: plain string',
      throwsObject: 'throwsObject failed: threw an object',
      throwsNull: 'throwsNull failed: threw null',
      throwsUndefined: 'throwsUndefined failed: threw undefined',
      rejectsNonError: 'rejectsNonError failed: threw a number (7)',
      string: 'string returned an invalid result: a string ("ok")',
      number: 'number returned an invalid result: a number (1)',
      shortTuple: 'shortTuple returned an invalid result: a tuple of length 1 (expected [name, status, data?])',
      longTuple: 'longTuple returned an invalid result: a tuple of length 4 (expected [name, status, data?])',
      x: 'tupleBadStatus returned an invalid result: a tuple whose status is a string ("yes")',
      tupleBadName: 'tupleBadName returned an invalid result: a tuple whose name is a number (42)',
      objectBadStatus: 'objectBadStatus returned an invalid result: an object whose status is a string ("up")',
      objectNoStatus: 'objectNoStatus returned an invalid result: an object whose status is undefined',
      'x#2': 'notPlainData returned an invalid result: a tuple whose data is an instance of Map',
      classInstance: 'classInstance returned an invalid result: an instance of Result',
      circular: expect.stringMatching(
        /^circular returned an invalid result: data that cannot be serialised to JSON \(Converting circular structure to JSON/,
      ),
      bigint:
        'bigint returned an invalid result: data that cannot be serialised to JSON (Do not know how to serialize a BigInt)',
      huge: 'huge returned 20011 bytes of data, more than the 2048-byte limit',
      throwingGetter: 'throwingGetter returned an invalid result: a value that could not be read (getter exploded)',
      ok: undefined,
    });
    expect(res.body.checks.ok).toEqual({ status: true });
    expect(res.text).not.toMatch(/\n\s+at /);
    expect(Buffer.byteLength(res.text)).toBeLessThan(10 * 1024);
  });

  it('cuts long messages with a marker and never shows a stack', async () => {
    const registry = await boot({ details: 'always' });
    registry.register(
      'readiness',
      () => {
        throw new Error('x'.repeat(5000));
      },
      { name: 'long' },
    );
    const res = await get('readiness');
    const message: string = res.body.checks.long.message;
    expect(message.length).toBe(300);
    expect(message.endsWith('… [truncated]')).toBe(true);
    expect(res.text).not.toContain('at ');
  });

  it("withholds messages and data with details: 'never'", async () => {
    const registry = await boot({ details: 'never' });
    registry.register('readiness', () => ['db', false, { message: 'password rejected for admin@10.0.0.3' }]);
    registry.register('readiness', () => ({ status: true, host: 'internal-host' }), { name: 'cache' });
    const res = await get('readiness');
    expect(res.status).toBe(500);
    expect(res.text).toBe('{"status":false,"checks":{"db":{"status":false},"cache":{"status":true}}}');
  });

  it('reports a non-critical failing check without failing the probe, which is degraded', async () => {
    const registry = await boot();
    registry.register('readiness', () => false, { name: 'recommendations', critical: false });
    registry.register('readiness', () => true, { name: 'database' });
    const res = await get('readiness');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: true,
      checks: { recommendations: { status: false, critical: false }, database: { status: true } },
      degraded: true,
    });
  });

  it('answers every change of a check while reusing the response of an unchanged run', async () => {
    const registry = await boot({ details: 'always' });
    registry.register('readiness', () => true, { name: 'steady' });
    // What the handler returns, then the entry it must have in the body.
    const steps: [unknown, string][] = [
      [undefined, '"changing":{"status":true}'],
      [true, '"changing":{"status":true}'],
      [{ status: true }, '"changing":{"status":true}'],
      [{ status: true, n: 1 }, '"changing":{"status":true,"n":1}'],
      [{ status: true, n: 1 }, '"changing":{"status":true,"n":1}'],
      [{ status: true, n: 2 }, '"changing":{"status":true,"n":2}'],
      [{ status: true, nested: { a: 1 } }, '"changing":{"status":true,"nested":{"a":1}}'],
      [{ status: true, nested: { a: 2 } }, '"changing":{"status":true,"nested":{"a":2}}'],
      [{ status: true, m: 1, n: 2 }, '"changing":{"status":true,"m":1,"n":2}'],
      [{ status: true, n: 2, m: 1 }, '"changing":{"status":true,"n":2,"m":1}'],
      [false, '"changing":{"status":false}'],
      [['renamed', true], '"renamed":{"status":true}'],
      [['renamed', true, { x: 1 }], '"renamed":{"status":true,"x":1}'],
      [['renamed', false, { message: 'gone' }], '"renamed":{"status":false,"message":"gone"}'],
      [['renamed', false, { message: 'still gone' }], '"renamed":{"status":false,"message":"still gone"}'],
    ];
    let next: unknown;
    registry.register('readiness', () => next, { name: 'changing' });
    for (const [result, entry] of steps) {
      next = result;
      const res = await get('readiness');
      const passing = !entry.includes('"status":false');
      expect(res.text).toBe(`{"status":${passing},"checks":{"steady":{"status":true},${entry}}}`);
      expect(res.status).toBe(passing ? 200 : 500);
    }
    // An unchanged outcome answers the same bytes again; a changed one answers new ones.
    const service = app.get(HeartbeatService);
    next = { status: true, n: 3 };
    const first = await service.respond('readiness');
    expect(await service.respond('readiness')).toEqual(first);
    next = { status: true, n: 4 };
    expect((await service.respond('readiness')).body).toContain('"n":4');
  });

  it('logs a change of state once, not every probe', async () => {
    const logger = new RecordingLogger();
    const registry = await boot({ logger });
    const states = [false, false, false, true, true, false];
    registry.register('liveliness', () => ['db', states.shift() ?? true, { message: 'connection refused' }]);
    for (let i = 0; i < 6; i++) await get('liveliness');
    expect(logger.lines).toEqual([
      { level: 'warn', message: 'liveliness check "db" is failing: connection refused' },
      { level: 'log', message: 'liveliness check "db" is passing again' },
      { level: 'warn', message: 'liveliness check "db" is failing: connection refused' },
    ]);
  });

  it("logs through Nest's Logger by default, and not at all with logger: false", async () => {
    const recorder = new RecordingLogger();
    for (const logger of [undefined, false] as const) {
      const registry = await boot({ logger });
      Logger.overrideLogger(recorder);
      registry.register('liveliness', () => false, { name: logger === false ? 'silenced' : 'default' });
      expect((await get('liveliness')).status).toBe(500);
      await app.close();
    }
    Logger.overrideLogger(false);
    expect(recorder.lines).toEqual([{ level: 'warn', message: 'liveliness check "default" is failing' }]);
  });
});

@Injectable()
class DecoratedTimeouts {
  @ReadinessProbe({ name: 'quick', timeoutMs: 30 })
  quick() {
    return new Promise(() => undefined);
  }
  @LivelinessProbe({ timeoutMs: 2000 })
  patient() {
    return sleep(100).then(() => true);
  }
}

describe.each(ADAPTERS)('decorator options (%s)', (adapter) => {
  it('honours timeoutMs given to a decorator', async () => {
    const app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ timeoutMs: 50, logger: false })],
      providers: [DecoratedTimeouts],
    });
    const ready = await request(app.getHttpServer()).get(`${BASE}/readiness`);
    expect(ready.body.checks.quick).toEqual({
      status: false,
      message: 'DecoratedTimeouts.quick timed out after 30 ms',
    });
    const live = await request(app.getHttpServer()).get(`${BASE}/liveliness`);
    expect(live.body).toEqual({ status: true, checks: { patient: { status: true } } });
    await app.close();
  });
});
