import type { INestApplication } from '@nestjs/common';
import { type ClientProxy, ClientProxyFactory, ServerTCP, Transport } from '@nestjs/microservices';
import request from 'supertest';
import {
  type HealthChange,
  type HeartbeatCheck,
  HeartbeatModule,
  HeartbeatService,
  ProbeRegistry,
  transportCheck,
  transportChecks,
} from '../src/index.js';
import { ADAPTERS, createApp } from './support/app.js';
import { freePort } from './support/grpc-client.js';
import { serverConnections, startMosquitto, startNats, startRabbit, type TestServer } from './support/servers.js';

const BASE = '/.well-known/heartbeat';
/** Reconnecting fails at once here: the bounded degraded time is shown on the Redis transport and below. */
const AT_ONCE = { degradedForMs: 0 };

let nats: TestServer;
let mqtt: TestServer;
let rabbit: Awaited<ReturnType<typeof startRabbit>>;

beforeAll(async () => {
  [nats, mqtt, rabbit] = await Promise.all([startNats(), startMosquitto(), startRabbit()]);
  // RabbitMQ is the slow one: its start-up time is printed for the report.
  process.stdout.write(`rabbitmq-server started in ${rabbit.startedInMs} ms\n`);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([nats?.close(), mqtt?.close(), rabbit?.close()]);
}, 60_000);

function options() {
  return {
    nats: { servers: [`nats://127.0.0.1:${nats.port}`], reconnectTimeWait: 100, maxReconnectAttempts: -1 },
    mqtt: { url: `mqtt://127.0.0.1:${mqtt.port}`, reconnectPeriod: 100 },
    rmq: {
      urls: [`amqp://guest:guest@127.0.0.1:${rabbit.port}`],
      queue: 'heartbeat-test',
      socketOptions: { reconnectTimeInSeconds: 0.1 },
    },
  };
}

type Body = { checks: Record<string, { status: boolean; state?: string; message?: string }> };

async function probeUntil(app: INestApplication, done: (status: number, body: Body) => boolean) {
  const started = Date.now();
  for (;;) {
    const res = await request(app.getHttpServer()).get(`${BASE}/readiness`);
    if (done(res.status, res.body as Body)) return res;
    if (Date.now() - started > 60_000) throw new Error(`readiness still ${res.status}: ${JSON.stringify(res.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const SERVERS = ['transport:nats', 'transport:mqtt', 'transport:rmq'];
const CLIENTS = ['nats-client', 'mqtt-client', 'rmq-client'];

/** A hybrid app on one adapter, with its own clients of the three brokers and the changes it saw. */
interface Served {
  readonly adapter: string;
  readonly app: INestApplication;
  readonly clients: ClientProxy[];
  readonly checks: HeartbeatCheck[];
  readonly changes: HealthChange[];
}

async function serveHybrid(adapter: (typeof ADAPTERS)[number]): Promise<Served> {
  const given = options();
  const clients = [
    ClientProxyFactory.create({ transport: Transport.NATS, options: given.nats }),
    ClientProxyFactory.create({ transport: Transport.MQTT, options: given.mqtt }),
    ClientProxyFactory.create({ transport: Transport.RMQ, options: given.rmq }),
  ];
  const checks = clients.map((client, i) => transportCheck(client, { name: CLIENTS[i], ...AT_ONCE }));
  const app = await createApp(
    adapter,
    { imports: [HeartbeatModule.forRoot({ logger: false, environ: false, checks: { readiness: checks } })] },
    (created) => {
      created.connectMicroservice({ transport: Transport.NATS, options: given.nats });
      created.connectMicroservice({ transport: Transport.MQTT, options: given.mqtt });
      created.connectMicroservice({ transport: Transport.RMQ, options: given.rmq });
    },
  );
  await app.startAllMicroservices();
  await Promise.all(clients.map((client) => client.connect()));
  for (const check of transportChecks(app, AT_ONCE)) app.get(ProbeRegistry).register('readiness', check);
  const changes: HealthChange[] = [];
  app.get(HeartbeatService).onChange((change) => changes.push(change));
  return { adapter, app, clients, checks, changes };
}

// Both adapters' apps share one stop and start of the brokers: RabbitMQ's stop_app and start_app
// take seconds each (half a minute on a busy machine).
describe('transport checks of hybrid apps (Express and Fastify) and their clients on NATS, MQTT and RabbitMQ', () => {
  const served: Served[] = [];
  beforeAll(async () => {
    for (const adapter of ADAPTERS) served.push(await serveHybrid(adapter));
  }, 120_000);
  afterAll(async () => {
    for (const { app, clients, checks } of served) {
      await app.close();
      await Promise.allSettled(clients.map((client) => client.close()));
      for (const check of checks) check.dispose?.();
    }
  });

  it('passes while connected, fails while the brokers are stopped, and passes again once they are back', async () => {
    for (const { app } of served) {
      const up = await probeUntil(app, (status) => status === 200);
      expect(Object.keys(up.body.checks).sort()).toEqual([...CLIENTS, ...SERVERS].sort());
      expect(up.body.checks['transport:rmq']).toEqual({ status: true, transport: 'rmq', state: 'connected' });
      expect(up.body.checks['mqtt-client']).toEqual({ status: true, transport: 'mqtt', state: 'connected' });
    }

    await Promise.all([nats.stop(), mqtt.stop(), rabbit.stop()]);
    for (const { app } of served) {
      const down = await probeUntil(app, (_, body) =>
        [...SERVERS, ...CLIENTS].every((name) => !body.checks[name].status),
      );
      expect(down.status).toBe(500);
      expect(down.body.checks['transport:rmq']).toMatchObject({ message: 'rmq transport is disconnected' });
      expect(down.body.checks['nats-client'].message).toMatch(
        /^nats transport (is disconnected|has been reconnecting)/,
      );
    }

    await Promise.all([nats.start(), mqtt.start(), rabbit.start()]);
    for (const { adapter, app, changes } of served) {
      await probeUntil(app, (status) => status === 200);
      for (const name of [...SERVERS, ...CLIENTS]) {
        const statuses = changes.filter((change) => change.check === name).map((change) => change.status);
        expect({ adapter, name, statuses }).toEqual({ adapter, name, statuses: [true, false, true] });
      }
    }
  }, 240_000);

  it('opens no connection: the brokers hold as many connections before and after 100 probes', async () => {
    const ports = [nats.port, mqtt.port, rabbit.port];
    for (const { app } of served) {
      await probeUntil(app, (status) => status === 200);
      const before = ports.map(serverConnections);
      expect(before.every((count) => count >= 4)).toBe(true);
      for (let i = 0; i < 100; i++)
        expect((await request(app.getHttpServer()).get(`${BASE}/readiness`)).status).toBe(200);
      expect(ports.map(serverConnections)).toEqual(before);
    }
  });
});

describe('the TCP transport: a server the app runs and a client of it', () => {
  it('passes, fails once the server is closed, and passes again after it listens and the client reconnects', async () => {
    const port = await freePort();
    const server = new ServerTCP({ host: '127.0.0.1', port });
    const listen = () =>
      new Promise<void>((resolve, reject) => server.listen((error) => (error ? reject(error) : resolve())));
    await listen();
    const client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
    const serverCheck = transportCheck(server);
    const clientCheck = transportCheck(client, { name: 'tcp-client' });
    try {
      expect(await clientCheck.run()).toMatchObject({
        status: false,
        message: 'tcp transport has reported no status yet (not connected)',
      });
      await client.connect();
      expect(await serverCheck.run()).toEqual({ status: true, transport: 'tcp', state: 'connected' });
      expect(await clientCheck.run()).toEqual({ status: true, transport: 'tcp', state: 'connected' });
      server.close();
      await waitFor(async () => (await clientCheck.run()).status === false);
      expect(await clientCheck.run()).toMatchObject({ status: false, message: 'tcp transport is disconnected' });
      await listen();
      await client.connect();
      expect(await clientCheck.run()).toMatchObject({ status: true });
    } finally {
      serverCheck.dispose?.();
      clientCheck.dispose?.();
      client.close();
      server.close();
    }
  });
});

async function waitFor(condition: () => Promise<boolean>, limitMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > limitMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
