import { Injectable, type INestApplication } from '@nestjs/common';
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { inspect } from 'node:util';
import request from 'supertest';
import {
  diskCheck,
  eventLoopDelayCheck,
  HeartbeatModule,
  httpCheck,
  LivelinessProbe,
  memoryCheck,
  ProbeRegistry,
  tcpCheck,
  type EventLoopDelaySource,
} from '../src/index.js';
import { EventLoopSampler } from '../src/checks/event-loop-sampler.js';
import { ADAPTERS, createApp } from './support/app.js';

const BASE = '/.well-known/heartbeat';
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Where an answer is expected: a loaded machine may take longer than a check's 500 ms default. */
const ANSWER_EXPECTED = { timeoutMs: 10_000 } as const;
/** Only the checks' own timers are faked: sockets and streams keep their real ticks. */
const FAKE_TIMERS: Parameters<typeof jest.useFakeTimers>[0] = {
  doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'],
};

/** Blocks the event loop synchronously: deterministic, whatever else the machine is doing. */
function blockFor(ms: number) {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Deliberately blocking the event loop.
  }
}

/** Lets the loop turn once (I/O, timers) before the test looks again. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Waits until a real event-loop delay source has taken `samples` samples: a condition, not a sleep. */
async function samplesTaken(source: EventLoopDelaySource, samples: number): Promise<void> {
  while (source.count < samples) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** A promise and the function that resolves it: the test decides when something happens. */
function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** A histogram the test fills by hand (samples in ms, stored in ns as perf_hooks does). */
function handHistogram(delaysMs: number[]): EventLoopDelaySource {
  return {
    get count() {
      return delaysMs.length;
    },
    percentile: (p: number) => {
      const sorted = [...delaysMs].sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] * 1e6;
    },
    reset: () => void delaysMs.splice(0),
  };
}

afterEach(() => {
  jest.useRealTimers();
});

describe('event-loop check', () => {
  it('reports the delay beyond the sampling resolution, over the window since the previous run', async () => {
    const delaysMs: number[] = [];
    const check = eventLoopDelayCheck({ maxMs: 100, percentile: 99, histogram: handHistogram(delaysMs) });
    // No sample yet: nothing to report.
    expect(await check.run()).toEqual({ status: true, delayMs: 0, maxMs: 100 });
    // Each sample is the time between two ticks of the 10 ms sampler: 10 ms is an idle loop.
    delaysMs.push(10, 10.4, 9.7, 10.2);
    expect(await check.run()).toEqual({ status: true, delayMs: 0.4, maxMs: 100 });
    delaysMs.push(10, 11, 12, 310);
    expect(await check.run()).toEqual({ status: false, delayMs: 300, maxMs: 100 });
    delaysMs.push(10, 12);
    expect(await check.run()).toEqual({ status: true, delayMs: 2, maxMs: 100 });
    const coarse = eventLoopDelayCheck({ resolutionMs: 50, maxMs: 10, histogram: handHistogram([49, 55]) });
    expect(await coarse.run()).toEqual({ status: true, delayMs: 5, maxMs: 10 });
  });

  it.each([
    ['perf_hooks monitorEventLoopDelay', () => monitorEventLoopDelay({ resolution: 20 })],
    ['the default sampler', () => new EventLoopSampler(20)],
  ])('a real loop sampled by %s is reported less the sampling resolution', async (_name, source) => {
    // Whatever else the machine runs, the reported delay is the raw reading less the 20 ms resolution
    // (an idle loop reads about 20 ms: reporting it raw would fail maxMs 10 at rest).
    const histogram = source();
    const check = eventLoopDelayCheck({ resolutionMs: 20, maxMs: 10, percentile: 1, histogram });
    try {
      await samplesTaken(histogram, 10);
      // run() reads the histogram before its first await, so this is the reading it uses.
      const rawMs = histogram.percentile(1) / 1e6;
      const result = await check.run();
      const expected = Math.round(Math.max(0, rawMs - 20) * 10) / 10;
      expect(result).toEqual({ status: expected <= 10, delayMs: expected, maxMs: 10 });
      // About the 20 ms resolution: a timer may fire a little early, never much.
      expect(rawMs).toBeGreaterThanOrEqual(15);
    } finally {
      check.dispose?.();
    }
  });

  it('sees a loop blocked right after a run (the default sampler keeps measuring across the reset)', async () => {
    const check = eventLoopDelayCheck({ maxMs: 100, percentile: 100 });
    try {
      await check.run();
      // The block starts in the same turn as the run's reset: the first sample after it spans the whole block.
      void check.run();
      blockFor(200);
      // Until the sampler's first tick after the block, the window holds no sample and reports 0; the
      // deadline only keeps a broken sampler from spinning past the test's end.
      const deadline = performance.now() + 10_000;
      let result: Awaited<ReturnType<typeof check.run>>;
      do {
        await turn();
        result = await check.run();
      } while (result.delayMs === 0 && performance.now() < deadline);
      expect(result.status).toBe(false);
      expect(result.delayMs as number).toBeGreaterThanOrEqual(200 - 10 - 1);
    } finally {
      check.dispose?.();
    }
  });

  it.each([
    [
      { maxMs: -1 },
      /eventLoopDelayCheck\(\): option "maxMs" must be a number of milliseconds from 0 to 2147483647 \(got -1\)/,
    ],
    [{ maxMs: Number.NaN }, /option "maxMs" must be .* \(got NaN\)/],
    [
      { percentile: 0 },
      /eventLoopDelayCheck\(\): option "percentile" must be a number above 0 and at most 100 \(got 0\)/,
    ],
    [{ percentile: 101 }, /option "percentile" .* \(got 101\)/],
    [
      { resolutionMs: 0 },
      /eventLoopDelayCheck\(\): option "resolutionMs" must be a whole number of milliseconds from 1 to 2147483647 \(got 0\)/,
    ],
    [{ resolutionMs: 2.5 }, /option "resolutionMs" .* \(got 2\.5\)/],
    [{ maxMs: '100' }, /option "maxMs" .* \(got "100"\)/],
  ])('rejects invalid options with a clear error: %j', (options, message) => {
    expect(() => eventLoopDelayCheck(options as never)).toThrow(message);
  });
});

describe('memory and disk checks', () => {
  const folder = mkdtempSync(join(tmpdir(), 'heartbeat-disk-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('memory: reports heap and RSS against thresholds', async () => {
    expect(await memoryCheck({ heapUsedMaxBytes: 2 ** 40, rssMaxBytes: 2 ** 40 }).run()).toEqual({
      status: true,
      heapUsedBytes: expect.any(Number),
      rssBytes: expect.any(Number),
      heapUsedMaxBytes: 2 ** 40,
      rssMaxBytes: 2 ** 40,
    });
    const low = await memoryCheck({ rssMaxBytes: 1024 }).run();
    expect(low.status).toBe(false);
    expect(low.rssBytes as number).toBeGreaterThan(1024);
  });

  it.each([
    [{ heapUsedMaxBytes: 0 }, /memoryCheck\(\): option "heapUsedMaxBytes" must be a number of bytes above 0 \(got 0\)/],
    [{ heapUsedMaxBytes: -5 }, /option "heapUsedMaxBytes" .* \(got -5\)/],
    [{ rssMaxBytes: Number.NaN }, /memoryCheck\(\): option "rssMaxBytes" .* \(got NaN\)/],
    [{ rssMaxBytes: Infinity }, /option "rssMaxBytes" .* \(got Infinity\)/],
    [{ rssMaxBytes: '512MB' }, /option "rssMaxBytes" .* \(got "512MB"\)/],
  ])('memory: rejects invalid options with a clear error: %j', (options, message) => {
    expect(() => memoryCheck(options as never)).toThrow(message);
  });

  it('disk: free space of a temporary folder, in bytes or percent', async () => {
    expect(await diskCheck({ path: folder, minFreeBytes: 1, minFreePercent: 0 }).run()).toEqual({
      status: true,
      freeBytes: expect.any(Number),
      freePercent: expect.any(Number),
      minFreeBytes: 1,
      minFreePercent: 0,
    });
    expect((await diskCheck({ path: folder, minFreeBytes: Number.MAX_SAFE_INTEGER }).run()).status).toBe(false);
    expect(await diskCheck({ path: join(folder, 'missing'), minFreeBytes: 1 }).run()).toEqual({
      status: false,
      message: 'cannot stat the file system: ENOENT',
    });
  });

  it.each([
    [{ path: '' }, /diskCheck\(\): option "path" must be a non-empty path \(got ""\)/],
    [{}, /diskCheck\(\): option "path" must be a non-empty path \(got undefined\)/],
    [
      { path: '/', minFreeBytes: -1 },
      /diskCheck\(\): option "minFreeBytes" must be a number of bytes from 0 \(got -1\)/,
    ],
    [{ path: '/', minFreeBytes: Number.NaN }, /option "minFreeBytes" .* \(got NaN\)/],
    [
      { path: '/', minFreePercent: 101 },
      /diskCheck\(\): option "minFreePercent" must be a percentage from 0 to 100 \(got 101\)/,
    ],
    [{ path: '/', minFreePercent: -0.5 }, /option "minFreePercent" .* \(got -0\.5\)/],
    [{ path: '/', minFreePercent: '10%' }, /option "minFreePercent" .* \(got "10%"\)/],
  ])('disk: rejects invalid options with a clear error: %j', (options, message) => {
    expect(() => diskCheck(options as never)).toThrow(message);
  });
});

describe('http check', () => {
  let target: { server: Server; url: string };
  let closedPort: number;
  beforeAll(async () => {
    target = await listen((req, res) => {
      res.statusCode = req.url === '/down' ? 503 : 200;
      res.end('ok');
    });
    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
  });
  afterAll(() => close(target.server));

  it('the expected status passes; another status or a refused connection fails', async () => {
    expect(await httpCheck({ url: `${target.url}/`, ...ANSWER_EXPECTED }).run()).toEqual({
      status: true,
      statusCode: 200,
      timeMs: expect.any(Number),
    });
    expect(await httpCheck({ url: `${target.url}/down`, ...ANSWER_EXPECTED }).run()).toEqual({
      status: false,
      statusCode: 503,
      timeMs: expect.any(Number),
    });
    expect(await httpCheck({ url: `${target.url}/down`, expectedStatus: 503, ...ANSWER_EXPECTED }).run()).toMatchObject(
      { status: true },
    );
    expect(
      await httpCheck({ url: `${target.url}/down`, expectedStatus: [200, 503], ...ANSWER_EXPECTED }).run(),
    ).toMatchObject({ status: true });
    expect(
      await httpCheck({ url: `${target.url}/`, expectedStatus: (s) => s === 204, ...ANSWER_EXPECTED }).run(),
    ).toMatchObject({ status: false });
    expect(await httpCheck({ url: `http://127.0.0.1:${closedPort}/`, ...ANSWER_EXPECTED }).run()).toEqual({
      status: false,
      timeMs: expect.any(Number),
      message: 'request failed: ECONNREFUSED',
    });
  });

  it.each([
    [undefined, 500],
    [100, 100],
  ])(
    'timeoutMs %p: a server that holds the request fails the check after %p ms (fake timers)',
    async (timeoutMs, ms) => {
      const received = gate();
      const holding = await listen(() => received.open());
      jest.useFakeTimers(FAKE_TIMERS);
      try {
        let settled = false;
        const result = httpCheck({ url: holding.url, timeoutMs })
          .run()
          .finally(() => (settled = true));
        await received.promise;
        await jest.advanceTimersByTimeAsync(ms - 1);
        expect(settled).toBe(false);
        await jest.advanceTimersByTimeAsync(1);
        expect(await result).toEqual({ status: false, timeMs: ms, message: `no answer within ${ms} ms` });
      } finally {
        jest.useRealTimers();
        await close(holding.server);
      }
    },
  );

  it('decides on the status line: a body that drips forever neither holds the check nor is read', async () => {
    const hungUp = gate();
    const dripping = await listen((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.write(Buffer.alloc(256 * 1024));
      const drip = setInterval(() => res.write(Buffer.alloc(1024)), 5);
      req.socket.once('close', () => {
        clearInterval(drip);
        hungUp.open();
      });
    });
    try {
      // The timeout only bounds the test loosely: the answer comes from the status line, long before it.
      expect(await httpCheck({ url: dripping.url, timeoutMs: 15_000 }).run()).toEqual({
        status: true,
        statusCode: 200,
        timeMs: expect.any(Number),
      });
      // The check hung up rather than draining the body.
      await hungUp.promise;
    } finally {
      await close(dripping.server);
    }
  });

  it('an expectedStatus predicate that throws fails the check instead of escaping', async () => {
    const check = httpCheck({
      url: target.url,
      ...ANSWER_EXPECTED,
      expectedStatus: () => {
        throw new Error('predicate broke');
      },
    });
    expect(await check.run()).toEqual({
      status: false,
      statusCode: 200,
      timeMs: expect.any(Number),
      message: 'expectedStatus threw: predicate broke',
    });
  });

  it('an expectedStatus predicate that throws a value without a message (no prototype) fails the check too', async () => {
    const check = httpCheck({
      url: target.url,
      ...ANSWER_EXPECTED,
      expectedStatus: () => {
        throw Object.create(null);
      },
    });
    expect(await check.run()).toMatchObject({
      status: false,
      statusCode: 200,
      message: 'expectedStatus threw: threw an object',
    });
  });

  it('sends the credentials of the URL, but keeps the password out of its name and messages', async () => {
    const seen: string[] = [];
    const authorised = await listen((req, res) => {
      seen.push(req.headers.authorization ?? '');
      res.end();
    });
    try {
      const port = new URL(authorised.url).port;
      const check = httpCheck({ url: `http://app:s3cret@127.0.0.1:${port}/health`, ...ANSWER_EXPECTED });
      expect(check.name).toBe(`127.0.0.1:${port}`);
      expect(await check.run()).toEqual({ status: true, statusCode: 200, timeMs: expect.any(Number) });
      expect(seen).toEqual([`Basic ${Buffer.from('app:s3cret').toString('base64')}`]);
      const refused = await httpCheck({ url: `http://app:s3cret@127.0.0.1:${closedPort}/`, ...ANSWER_EXPECTED }).run();
      expect(JSON.stringify(refused)).not.toContain('s3cret');
    } finally {
      await close(authorised.server);
    }
  });

  it.each([
    [
      'http://app:s3cret@exa mple/',
      /httpCheck\(\): option "url" must be an http: or https: URL \(got "http:\/\/app:\*\*\*@exa mple\/"\)/,
    ],
    [
      'ftp://app:s3cret@files/',
      /httpCheck\(\): option "url" must be an http: or https: URL \(got "ftp:\/\/app:\*\*\*@files\/"\)/,
    ],
    [42, /option "url" .* \(got 42\)/],
  ])('rejects a URL that is not http(s) in the factory, its password masked everywhere: %p', (url, message) => {
    let thrown: unknown;
    try {
      httpCheck({ url: url as string });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toMatch(message);
    // Nest logs a bootstrap error with util.inspect: no property of it may carry the password.
    expect(inspect(thrown, { depth: 5 })).not.toContain('s3cret');
  });

  it.each([0, -1, 0.5, MAX_TIMER_MS + 1, Number.NaN, Infinity, '500'])(
    'rejects timeoutMs %p with a clear error',
    (timeoutMs) => {
      expect(() => httpCheck({ url: target.url, timeoutMs: timeoutMs as number })).toThrow(
        `httpCheck(): option "timeoutMs" must be a number of milliseconds from 1 to 2147483647 (got ${typeof timeoutMs === 'string' ? '"500"' : String(timeoutMs)}).`,
      );
    },
  );

  it('accepts the longest timeout a timer can hold; rejects an expectedStatus of no supported shape', () => {
    expect(httpCheck({ url: target.url, timeoutMs: MAX_TIMER_MS }).name).toBe(new URL(target.url).host);
    expect(() => httpCheck({ url: target.url, expectedStatus: 'ok' as never })).toThrow(
      'httpCheck(): option "expectedStatus" must be a status code, a list of status codes or a function (got "ok").',
    );
  });
});

describe('tcp check', () => {
  let tcp: TcpServer;
  let tcpPort: number;
  let closedPort: number;
  beforeAll(async () => {
    tcp = createTcpServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    tcpPort = (tcp.address() as AddressInfo).port;
    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
  });
  afterAll(() => new Promise((resolve) => tcp.close(resolve)));

  it('connects to a listener, fails on a closed port', async () => {
    const up = tcpCheck({ host: '127.0.0.1', port: tcpPort, ...ANSWER_EXPECTED });
    expect(up.name).toBe(`127.0.0.1:${tcpPort}`);
    expect(await up.run()).toEqual({ status: true, timeMs: expect.any(Number) });
    expect(await tcpCheck({ host: '127.0.0.1', port: closedPort, ...ANSWER_EXPECTED }).run()).toEqual({
      status: false,
      timeMs: expect.any(Number),
      message: 'connect failed: ECONNREFUSED',
    });
  });

  it('fails at its timeout when no connection is made by then (fake timers)', async () => {
    jest.useFakeTimers(FAKE_TIMERS);
    const result = tcpCheck({ host: '127.0.0.1', port: tcpPort }).run();
    // Advanced in the same turn as the connect call: the connection cannot have been made yet.
    jest.advanceTimersByTime(500);
    expect(await result).toEqual({ status: false, timeMs: 500, message: 'no connection within 500 ms' });
  });

  it.each([
    [{ host: '127.0.0.1', port: 0 }, /tcpCheck\(\): option "port" must be a whole number from 1 to 65535 \(got 0\)/],
    [{ host: '127.0.0.1', port: 65536 }, /option "port" .* \(got 65536\)/],
    [{ host: '127.0.0.1', port: 80.5 }, /option "port" .* \(got 80\.5\)/],
    [{ host: '127.0.0.1', port: '5432' }, /option "port" .* \(got "5432"\)/],
    [{ host: '127.0.0.1' }, /option "port" .* \(got undefined\)/],
    [{ host: '', port: 5432 }, /tcpCheck\(\): option "host" must be a host name or IP address .* \(got ""\)/],
    [
      { host: '127.0.0.1', port: 5432, timeoutMs: 0 },
      /tcpCheck\(\): option "timeoutMs" must be a number of milliseconds from 1 to 2147483647 \(got 0\)/,
    ],
    [{ host: '127.0.0.1', port: 5432, timeoutMs: MAX_TIMER_MS + 1 }, /option "timeoutMs" .* \(got 2147483648\)/],
  ])('rejects invalid options with a clear error: %j', (options, message) => {
    expect(() => tcpCheck(options as never)).toThrow(message);
  });
});

describe.each(ADAPTERS)('switched on in forRoot, registered, or called from a method (%s)', (adapter) => {
  let app: INestApplication | undefined;
  let upstream: { server: Server; url: string };
  let tcp: TcpServer;
  const folder = mkdtempSync(join(tmpdir(), 'heartbeat-disk-'));
  beforeAll(async () => {
    upstream = await listen((_req, res) => res.end('ok'));
    tcp = createTcpServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(async () => {
    await close(upstream.server);
    await new Promise((resolve) => tcp.close(resolve));
    rmSync(folder, { recursive: true, force: true });
  });

  it('serves them on the chosen probes', async () => {
    const tcpPort = (tcp.address() as AddressInfo).port;
    const loop = eventLoopDelayCheck({ maxMs: 5000 });
    @Injectable()
    class Own {
      @LivelinessProbe('own-tcp')
      own() {
        return tcpCheck({ host: '127.0.0.1', port: tcpPort, ...ANSWER_EXPECTED }).run();
      }
    }
    try {
      app = await createApp(adapter, {
        imports: [
          HeartbeatModule.forRoot({
            logger: false,
            checks: {
              liveness: [loop],
              readiness: [httpCheck({ url: `${upstream.url}/`, name: 'upstream', ...ANSWER_EXPECTED })],
            },
          }),
        ],
        providers: [Own],
      });
      app.get(ProbeRegistry).register('readiness', diskCheck({ path: folder, minFreeBytes: 1 }));
      const live = await request(app.getHttpServer()).get(`${BASE}/liveness`);
      expect(live.status).toBe(200);
      expect(Object.keys(live.body.checks)).toEqual(['event-loop', 'own-tcp']);
      expect(live.body.checks['event-loop']).toEqual({ status: true, delayMs: expect.any(Number), maxMs: 5000 });
      const ready = await request(app.getHttpServer()).get(`${BASE}/readiness`);
      expect(ready.body.checks.upstream).toEqual({ status: true, statusCode: 200, timeMs: expect.any(Number) });
      expect(ready.body.checks.disk).toMatchObject({ status: true, minFreeBytes: 1 });
    } finally {
      loop.dispose?.();
    }
  });
});
