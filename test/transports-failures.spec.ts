import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Agent, get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { HEARTBEAT_RESOLVED_OPTIONS, HEARTBEAT_ROUTE_PATH } from '../src/heartbeat.constants.js';
import { HeartbeatManagementServer, HeartbeatService } from '../src/index.js';
import { createApp } from './support/app.js';
import { RecordingLogger } from './support/logger.js';
import { send, serve, TRANSPORTS } from './support/transports.js';
import { HeartbeatModule } from '../src/index.js';
import { ProbeSerializer } from '../src/report/probe.serializer.js';
import { ProbeEvaluator } from '../src/run/probe-evaluator.js';
import { HeartbeatMetrics } from '../src/observers/metrics/heartbeat.metrics.js';
import { HealthState } from '../src/state/health-state.js';
import type { ManagementServerLimits } from '../src/transport/heartbeat.management-server.js';

const BASE = '/.well-known/heartbeat';

describe.each(TRANSPORTS)('when answering a probe throws (%s)', (transport) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it.each([
    [
      'throws',
      (error: Error) => () => {
        throw error;
      },
    ],
    ['rejects', (error: Error) => () => Promise.reject(error)],
  ])(
    'answers failureStatusCode with a JSON message, no stack, and logs the error when the service %s',
    async (_, fail) => {
      const logger = new RecordingLogger();
      const served = await serve(transport, { failureStatusCode: 503, logger, environ: false });
      app = served.app;
      const error = new Error('boom: postgres://app:hunter2@db/main');
      jest.spyOn(app.get(ProbeSerializer), 'respond').mockImplementation(fail(error));
      for (const path of ['readiness', 'liveness', 'readiness/database']) {
        const res = await send(served.url, 'GET', `${BASE}/${path}`, { accept: 'text/html' });
        expect({ path, status: res.status }).toEqual({ path, status: 503 });
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.headers['cache-control']).toBe('no-store');
        const kind = path === 'liveness' ? 'liveliness' : 'readiness';
        expect(JSON.parse(res.body)).toEqual({
          statusCode: 503,
          message: `The ${kind} probe could not be answered; the error is in the application's log`,
        });
        expect(res.body).not.toMatch(/boom|hunter2|at .*\.ts/);
        const head = await send(served.url, 'HEAD', `${BASE}/${path}`);
        expect({ path, status: head.status, body: head.body }).toEqual({ path, status: 503, body: '' });
      }
      const errors = logger.messages('error');
      expect(errors).toContain('the readiness probe could not be answered: Error: boom: postgres://app:***@db/main');
      expect(errors.join('\n')).not.toContain('hunter2');
    },
  );

  it('still answers when the error and the logger both throw', async () => {
    const hostile = new Proxy(new Error('x'), {
      get() {
        throw new Error('inspection');
      },
    });
    const logger = new RecordingLogger();
    logger.error = () => {
      throw new Error('logger down');
    };
    const served = await serve(transport, { logger, environ: false });
    app = served.app;
    jest.spyOn(app.get(ProbeSerializer), 'respond').mockImplementation(() => Promise.reject(hostile));
    const res = await send(served.url, 'GET', `${BASE}/readiness`);
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body)).toMatchObject({ statusCode: 500 });
  });
});

describe('the management port against slow clients', () => {
  let app: INestApplication | undefined;
  let server: HeartbeatManagementServer | undefined;
  afterEach(async () => {
    await server?.onApplicationShutdown();
    await app?.close();
    server = app = undefined;
  });

  /** Opens a connection, sends `head` and nothing more; resolves with what came back and when the socket closed. */
  function stall(port: number, head: string): Promise<{ received: string; closedAfterMs: number }> {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      let received = '';
      const socket = connect(port, '127.0.0.1', () => socket.write(head));
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('error', reject);
      socket.on('close', () => resolve({ received, closedAfterMs: performance.now() - started }));
    });
  }

  async function start(limits?: Partial<ManagementServerLimits>): Promise<number> {
    app = await createApp('express', {
      imports: [HeartbeatModule.forRoot({ logger: false, environ: false, port: 0 })],
    });
    if (!limits) return app.get(HeartbeatManagementServer).address()!.port;
    server = new HeartbeatManagementServer(
      app.get(ProbeSerializer),
      app.get(ProbeEvaluator),
      app.get(HeartbeatMetrics),
      app.get(HealthState),
      app.get(HEARTBEAT_RESOLVED_OPTIONS),
      app.get(HEARTBEAT_ROUTE_PATH),
      limits,
    );
    await server.onApplicationBootstrap();
    return server.address()!.port;
  }

  it('closes a connection that sends half a request line and stalls, once the headers timeout has passed', async () => {
    const port = await start({ headersTimeoutMs: 300, requestTimeoutMs: 600, checkIntervalMs: 50 });
    const { received, closedAfterMs } = await stall(port, `GET ${BASE}/readi`);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeGreaterThanOrEqual(250);
    // Loose: the bound is the timeout and one check interval, far below Node's 60-90 s.
    expect(closedAfterMs).toBeLessThan(5_000);
  });

  it('closes such a connection within seconds with the default limits', async () => {
    const port = await start();
    const { received, closedAfterMs } = await stall(port, `GET ${BASE}/readi`);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeLessThan(12_000);
  }, 20_000);

  it('refuses request heads over 8 KiB with 431 before the module is reached', async () => {
    const port = await start();
    const res = await send(`http://127.0.0.1:${port}`, 'GET', `${BASE}/readiness`, { 'x-large': 'a'.repeat(9_000) });
    expect(res.status).toBe(431);
    const small = await send(`http://127.0.0.1:${port}`, 'GET', `${BASE}/readiness`, { 'x-small': 'a'.repeat(1_000) });
    expect(small.status).toBe(200);
  });
});

describe('the management port while shutting down', () => {
  it('tells keep-alive pollers to reconnect (Connection: close), so they cannot hold the port open', async () => {
    const app = await createApp('express', { imports: [HeartbeatModule.forRoot({ logger: false, port: 0 })] });
    try {
      const { port } = app.get(HeartbeatManagementServer).address()!;
      const agent = new Agent({ keepAlive: true });
      const ask = () =>
        new Promise<IncomingHttpHeaders>((resolve, reject) =>
          httpGet({ host: '127.0.0.1', port, path: '/.well-known/heartbeat/liveliness', agent }, (response) => {
            response.resume();
            response.on('end', () => resolve(response.headers));
          }).on('error', reject),
        );
      expect((await ask()).connection).toBe('keep-alive');
      app.get(HeartbeatService).markShuttingDown();
      expect((await ask()).connection).toBe('close');
      agent.destroy();
    } finally {
      await app.close();
    }
  });
});
