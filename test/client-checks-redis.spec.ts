import { execFileSync } from 'node:child_process';
import type { INestApplication } from '@nestjs/common';
import { type ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import request from 'supertest';
import {
  bullMqCheck,
  type HealthChange,
  type HeartbeatCheck,
  HeartbeatModule,
  HeartbeatService,
  ProbeRegistry,
  redisCheck,
  transportCheck,
} from '../src/index.js';
import { ADAPTERS, createApp } from './support/app.js';
import { startRedis, type TestServer } from './support/servers.js';

const BASE = '/.well-known/heartbeat';
const NAMES = ['redis-client-proxy', 'ioredis', 'node-redis', 'bullmq:jobs', 'transport:redis'];
/** Nest's Redis transport gives up reconnecting unless told how often to try. */
const RETRY = { retryAttempts: 10_000, retryDelay: 50 };

let server: TestServer;
let ioredis: Redis;
let nodeRedis: ReturnType<typeof createClient>;
let queue: Queue;
let worker: Worker;
let proxy: ClientProxy;

beforeAll(async () => {
  server = await startRedis();
  const connection = { host: '127.0.0.1', port: server.port };
  ioredis = new Redis({ ...connection, retryStrategy: () => 50 });
  ioredis.on('error', () => {});
  nodeRedis = createClient({ socket: { ...connection, reconnectStrategy: () => 50 } });
  nodeRedis.on('error', () => {});
  await nodeRedis.connect();
  queue = new Queue('jobs', { connection: { ...connection, retryStrategy: () => 50 } });
  queue.on('error', () => {});
  worker = new Worker('jobs', async () => {}, { connection: { ...connection, retryStrategy: () => 50 } });
  worker.on('error', () => {});
  proxy = ClientProxyFactory.create({ transport: Transport.REDIS, options: { ...connection, ...RETRY } });
  await proxy.connect();
  await Promise.all([ioredis.ping(), queue.waitUntilReady(), worker.waitUntilReady()]);
});

afterAll(async () => {
  await Promise.allSettled([worker?.close(), queue?.close(), ioredis?.quit(), nodeRedis?.quit(), proxy?.close()]);
  await server?.close();
});

/** The server's count of connections it accepted (redis-cli's own, one per call, included). */
function acceptedConnections(): number {
  const info = execFileSync('redis-cli', ['-p', String(server.port), 'info', 'stats']).toString();
  return Number(/total_connections_received:(\d+)/.exec(info)?.[1]);
}

type Body = { checks: Record<string, { state?: string }> };

/** Probes until `done` holds: the clients notice a stopped or restarted server on their own schedule. */
async function probeUntil(app: INestApplication, done: (status: number, body: Body) => boolean) {
  const started = Date.now();
  for (;;) {
    const res = await request(app.getHttpServer()).get(`${BASE}/readiness`);
    if (done(res.status, res.body as Body)) return res;
    if (Date.now() - started > 30_000) throw new Error(`readiness still ${res.status}: ${JSON.stringify(res.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(ADAPTERS)('checks of the app’s own Redis clients and Redis transport (%s)', (adapter) => {
  let app: INestApplication;
  let clock = 0;
  const checks: HeartbeatCheck[] = [];
  const changes: HealthChange[] = [];
  beforeAll(async () => {
    checks.push(
      transportCheck(proxy, { name: 'redis-client-proxy', degradedForMs: 1000, now: () => clock }),
      redisCheck({ client: ioredis, name: 'ioredis' }),
      redisCheck({ client: nodeRedis, name: 'node-redis' }),
      bullMqCheck({ queue, worker }),
    );
    app = await createApp(
      adapter,
      { imports: [HeartbeatModule.forRoot({ logger: false, environ: false, checks: { readiness: checks } })] },
      (created) =>
        created.connectMicroservice({
          transport: Transport.REDIS,
          options: { host: '127.0.0.1', port: server.port, ...RETRY },
        }),
    );
    await app.startAllMicroservices();
    // A hybrid app's own transport, found through the app.
    const own = transportCheck(app.getMicroservices()[0], { degradedForMs: 1000, now: () => clock });
    checks.push(own);
    app.get(ProbeRegistry).register('readiness', own);
    app.get(HeartbeatService).onChange((change) => changes.push(change));
  });
  afterAll(async () => {
    await app?.close();
    for (const check of checks) check.dispose?.();
  });

  it('passes, reports reconnecting as degraded then failing, fails while Redis is stopped, and passes again after', async () => {
    const up = await probeUntil(app, (status) => status === 200);
    expect(Object.keys(up.body.checks)).toEqual(NAMES);
    for (const name of NAMES) expect(up.body.checks[name]).toMatchObject({ status: true });
    expect(up.body.checks['transport:redis']).toEqual({ status: true, transport: 'redis', state: 'connected' });
    expect(up.body.checks.ioredis).toEqual({ status: true, timeMs: expect.any(Number) });

    await server.stop();
    const down = await probeUntil(app, (status) => status === 500);
    expect(down.body.checks.ioredis.message).toMatch(/the client is (reconnecting|connecting), not ready/);
    const degraded = await probeUntil(app, (_, body) => body.checks['transport:redis'].state === 'reconnecting');
    // Within degradedForMs, a reconnecting transport passes, marked degraded.
    expect(degraded.body.checks['transport:redis']).toMatchObject({
      status: true,
      degraded: true,
      state: 'reconnecting',
    });
    clock += 1000;
    const failing = await probeUntil(app, (status) => status === 500);
    expect(failing.body.checks['transport:redis']).toMatchObject({
      status: false,
      state: 'reconnecting',
      message: 'redis transport has been reconnecting for 1000 ms (over 1000 ms)',
    });
    await probeUntil(app, () => NAMES.every((name) => stateOf(app, name) === false));

    await server.start();
    await probeUntil(app, (status) => status === 200);
    for (const name of NAMES) {
      const statuses = changes
        .filter((change) => change.check === name)
        .map((change) => (change.degraded ? 'degraded' : change.status));
      // The transports pass as degraded while reconnecting (a change of its own), then fail; the clients fail at once.
      const transport = name === 'redis-client-proxy' || name === 'transport:redis';
      expect(statuses).toEqual(transport ? [true, 'degraded', false, true] : [true, false, true]);
    }
  });

  it('opens no connection per probe: Redis accepts none during 100 probes but redis-cli’s own', async () => {
    await probeUntil(app, (status) => status === 200);
    const before = acceptedConnections();
    for (let i = 0; i < 100; i++)
      expect((await request(app.getHttpServer()).get(`${BASE}/readiness`)).status).toBe(200);
    expect(acceptedConnections()).toBe(before + 1);
  });
});

function stateOf(app: INestApplication, name: string): boolean | null | undefined {
  return app
    .get(HeartbeatService)
    .state()
    .probes.readiness.checks.find((check) => check.name === name)?.status;
}

describe('bullMqCheck and redisCheck on their own', () => {
  it('fails while the worker is not running, and names the option of a bad value', async () => {
    const idle = new Worker('idle', async () => {}, {
      connection: { host: '127.0.0.1', port: server.port },
      autorun: false,
    });
    try {
      expect(await bullMqCheck({ queue, worker: idle }).run()).toMatchObject({
        status: false,
        message: 'the worker is not running',
      });
    } finally {
      await idle.close();
    }
    expect(() => bullMqCheck({ queue, worker: {} as Worker })).toThrow(
      'bullMqCheck(): option "worker" must be a BullMQ Worker',
    );
    expect(() => redisCheck({ client: 'redis://x' as never })).toThrow(
      'redisCheck(): option "client" must be an ioredis',
    );
  });
});
