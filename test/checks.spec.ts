import { Injectable } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
} from '../src/index.js';
import { ADAPTERS, createApp } from './support/app.js';

const BASE = '/.well-known/heartbeat';


describe('built-in checks against real targets', () => {
  let http: Server;
  let httpUrl: string;
  let tcp: TcpServer;
  let tcpPort: number;
  let closedPort: number;
  const folder = mkdtempSync(join(tmpdir(), 'heartbeat-disk-'));

  beforeAll(async () => {
    http = createServer((req, res) => {
      if (req.url === '/hang') return;
      res.statusCode = req.url === '/down' ? 503 : 200;
      res.end('ok');
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    tcp = createTcpServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    tcpPort = (tcp.address() as AddressInfo).port;
    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
  });
  afterAll(async () => {
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
    await new Promise((resolve) => tcp.close(resolve));
    rmSync(folder, { recursive: true, force: true });
  });

  it('event loop: reports the delay of the real loop and passes under its threshold', async () => {
    const check = eventLoopDelayCheck({ maxMs: 5000 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const result = await check.run();
      expect(result).toEqual({ status: true, delayMs: expect.any(Number), maxMs: 5000 });
      // The sampling interval is not reported as delay: never negative, finite, and well under the bound.
      expect(result.delayMs as number).toBeGreaterThanOrEqual(0);
      expect(result.delayMs as number).toBeLessThan(5000);
    } finally {
      check.dispose?.();
    }
  });

  it('event loop: fails above the threshold, over the window since the previous run', async () => {
    // The histogram is injected: Node's own sampling of a blocked loop is timing-dependent on a
    // loaded machine (and blind to a block inside a timer callback), which made this test flaky.
    const delaysMs: number[] = [];
    const histogram = {
      get count() {
        return delaysMs.length;
      },
      percentile: (p: number) => {
        const sorted = [...delaysMs].sort((a, b) => a - b);
        return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] * 1e6;
      },
      reset: () => void delaysMs.splice(0),
    };
    // Samples as Node takes them: each includes the 10 ms sampling interval.
    const check = eventLoopDelayCheck({ maxMs: 100, percentile: 99, histogram });
    expect(await check.run()).toEqual({ status: true, delayMs: 0, maxMs: 100 });
    delaysMs.push(20, 21, 22, 310);
    expect(await check.run()).toEqual({ status: false, delayMs: 300, maxMs: 100 });
    delaysMs.push(20, 22);
    expect(await check.run()).toEqual({ status: true, delayMs: 12, maxMs: 100 });
  });

  it('event loop: an idle loop (samples of resolution + 1 ms) passes a tight maxMs', async () => {
    // What monitorEventLoopDelay reports at rest with a 10 ms resolution: about 11 ms a sample.
    const idle = { count: 50, percentile: () => 11.2e6, reset: () => undefined };
    const check = eventLoopDelayCheck({ maxMs: 10, histogram: idle });
    expect(await check.run()).toEqual({ status: true, delayMs: 1.2, maxMs: 10 });
    const coarse = eventLoopDelayCheck({ maxMs: 10, resolutionMs: 50, histogram: idle });
    expect(await coarse.run()).toEqual({ status: true, delayMs: 0, maxMs: 10 });
  });

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

  it('disk: free space of a temporary folder, in bytes or percent', async () => {
    const ok = await diskCheck({ path: folder, minFreeBytes: 1 }).run();
    expect(ok).toEqual({
      status: true,
      freeBytes: expect.any(Number),
      freePercent: expect.any(Number),
      minFreeBytes: 1,
    });
    expect((await diskCheck({ path: folder, minFreePercent: 101 }).run()).status).toBe(false);
    expect(await diskCheck({ path: join(folder, 'missing'), minFreeBytes: 1 }).run()).toEqual({
      status: false,
      message: 'cannot stat the file system: ENOENT',
    });
  });

  it('http: the expected status passes; another status, a hang or a refused connection fails', async () => {
    // A generous timeout where an answer is expected: a loaded machine may take longer than the default.
    expect(await httpCheck({ url: `${httpUrl}/`, timeoutMs: 10_000 }).run()).toEqual({
      status: true,
      statusCode: 200,
      timeMs: expect.any(Number),
    });
    expect(await httpCheck({ url: `${httpUrl}/down`, timeoutMs: 10_000 }).run()).toEqual({
      status: false,
      statusCode: 503,
      timeMs: expect.any(Number),
    });
    expect(await httpCheck({ url: `${httpUrl}/down`, expectedStatus: 503, timeoutMs: 10_000 }).run()).toMatchObject({
      status: true,
    });
    expect(await httpCheck({ url: `${httpUrl}/hang`, timeoutMs: 100 }).run()).toEqual({
      status: false,
      timeMs: expect.any(Number),
      message: 'no answer within 100 ms',
    });
    expect(await httpCheck({ url: `http://127.0.0.1:${closedPort}/`, timeoutMs: 10_000 }).run()).toEqual({
      status: false,
      timeMs: expect.any(Number),
      message: 'request failed: ECONNREFUSED',
    });
  });

  it('tcp: connects to a listener, fails on a closed port', async () => {
    const up = tcpCheck({ host: '127.0.0.1', port: tcpPort });
    expect(up.name).toBe(`127.0.0.1:${tcpPort}`);
    expect(await up.run()).toEqual({ status: true, timeMs: expect.any(Number) });
    expect(await tcpCheck({ host: '127.0.0.1', port: closedPort }).run()).toEqual({
      status: false,
      timeMs: expect.any(Number),
      message: 'connect failed: ECONNREFUSED',
    });
  });

  describe.each(ADAPTERS)('switched on in forRoot, registered, or called from a method (%s)', (adapter) => {
    it('serves them on the chosen probes', async () => {
      const loop = eventLoopDelayCheck({ maxMs: 5000 });
      @Injectable()
      class Own {
        @LivelinessProbe('own-tcp')
        own() {
          return tcpCheck({ host: '127.0.0.1', port: tcpPort }).run();
        }
      }
      const app = await createApp(adapter, {
        imports: [
          HeartbeatModule.forRoot({
            logger: false,
            checks: {
              liveness: [loop],
              readiness: [httpCheck({ url: `${httpUrl}/`, name: 'upstream', timeoutMs: 10_000 })],
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
      await app.close();
    });
  });
});
