import { fileURLToPath } from 'node:url';
import type { INestApplication } from '@nestjs/common';
import { ClientKafka, ClientProxyFactory, type ClientGrpcProxy, Transport } from '@nestjs/microservices';
import { ReplaySubject } from 'rxjs';
import request from 'supertest';
import { HeartbeatModule, HeartbeatService, transportCheck, transportChecks } from '../src/index.js';
import { ADAPTERS, createApp } from './support/app.js';
import { freePort } from './support/grpc-client.js';

const BASE = '/.well-known/heartbeat';
const PROTO = fileURLToPath(new URL('./fixtures/grpc/ping.proto', import.meta.url));

/** A transport's status stream as Nest's servers and clients hold it (`_status$`, a ReplaySubject of one). */
function transport() {
  const status = new ReplaySubject<string>(1);
  return { status, value: { status: status.asObservable() } };
}

describe('transportCheck: what each status word means', () => {
  it.each([
    ['connected', true],
    ['unblocked', true],
    ['disconnected', false],
    ['crashed', false],
    ['stopped', false],
    ['closed', false],
    ['no-such-word', false],
  ])('%s → status %s', async (word, passes) => {
    const { status, value } = transport();
    const check = transportCheck(value, { name: 'broker' });
    status.next(word);
    const result = await check.run();
    expect(result).toMatchObject({ status: passes, state: word === 'no-such-word' ? 'unknown' : word });
    if (!passes) expect(result.message).toMatch(/^microservice transport is /);
    check.dispose?.();
  });

  it('reports RMQ blocked as degraded for as long as it lasts, and rebalancing as degraded until degradedForMs', async () => {
    const { status, value } = transport();
    let clock = 1_000;
    const check = transportCheck(value, { name: 'broker', degradedForMs: 500, now: () => clock });
    status.next('blocked');
    clock += 60_000;
    expect(await check.run()).toEqual({
      broker: {
        status: 'degraded',
        transport: 'microservice',
        state: 'blocked',
        message: 'microservice transport is blocked (for 60000 ms)',
      },
    });
    status.next('rebalancing');
    clock += 499;
    expect(await check.run()).toMatchObject({ broker: { status: 'degraded', state: 'rebalancing' } });
    clock += 1;
    expect(await check.run()).toMatchObject({
      status: false,
      message: 'microservice transport has been rebalancing for 500 ms (over 500 ms)',
    });
    // The same state again does not restart its clock.
    status.next('rebalancing');
    expect((await check.run()).status).toBe(false);
    status.next('connected');
    expect(await check.run()).toMatchObject({ status: true });
    check.dispose?.();
  });

  it('subscribes once, never re-subscribes per probe, and unsubscribes on dispose', async () => {
    const { status, value } = transport();
    const check = transportCheck(value);
    expect(status.observed).toBe(true);
    for (let i = 0; i < 100; i++) await check.run();
    check.dispose?.();
    expect(status.observed).toBe(false);
  });

  it('keeps a hostile status out of the body and names the option of a value it cannot use', async () => {
    const { status, value } = transport();
    const check = transportCheck(value);
    status.next('x'.repeat(1_000_000));
    expect(await check.run()).toMatchObject({
      status: false,
      state: 'unknown',
      message: 'microservice transport is unknown',
    });
    check.dispose?.();
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    expect(() => transportCheck(revoked.proxy)).toThrow(/transportCheck\(\): option "serverOrClient"/);
    expect(() => transportCheck({})).toThrow(/transportCheck\(\): option "serverOrClient" must be/);
    const throwing = {
      status: {
        subscribe: () => {
          throw new Error('boom');
        },
      },
    };
    expect(() => transportCheck(throwing)).toThrow('could not be subscribed to (boom)');
    expect(() => transportCheck(value, { degradedForMs: -1 })).toThrow(/option "degradedForMs"/);
  });

  it.each(ADAPTERS)(
    'shows a degraded transport over HTTP as passing, marked degraded, in state() and the body (%s)',
    async (adapter) => {
      const { status, value } = transport();
      status.next('blocked');
      const app = await createApp(adapter, {
        imports: [
          HeartbeatModule.forRoot({
            logger: false,
            environ: false,
            checks: { readiness: [transportCheck(value, { name: 'rmq' })] },
          }),
        ],
      });
      try {
        const res = await request(app.getHttpServer()).get(`${BASE}/readiness`);
        expect(res.status).toBe(200);
        expect(res.body.checks.rmq).toMatchObject({ status: true, degraded: true, state: 'blocked' });
        status.next('disconnected');
        const down = await request(app.getHttpServer()).get(`${BASE}/readiness`);
        expect(down.status).toBe(500);
        expect(app.get(HeartbeatService).state().probes.readiness.checks[0]).toMatchObject({ status: false });
      } finally {
        await app.close();
      }
      // The module disposed the configured check at shutdown: the stream is no longer observed.
      expect(status.observed).toBe(false);
    },
  );
});

describe('Kafka: the real ClientKafka against a closed port', () => {
  it('fails with a clear message before it ever connects, and reads the disconnect kafkajs reports after a refused connect', async () => {
    const port = await freePort();
    const client = new ClientKafka({
      client: { brokers: [`127.0.0.1:${port}`], retry: { retries: 0 }, connectionTimeout: 200, logLevel: 0 },
      consumer: { groupId: 'heartbeat-test' },
    });
    const check = transportCheck(client);
    try {
      expect(await check.run()).toEqual({
        status: false,
        transport: 'kafka',
        state: 'none',
        message: 'kafka transport has reported no status yet (not connected)',
      });
      await expect(client.connect()).rejects.toThrow(/ECONNREFUSED|Connection error/);
      // The failed connect ends with kafkajs's DISCONNECT event, which Nest maps to KafkaStatus.DISCONNECTED.
      expect(await check.run()).toEqual({
        status: false,
        transport: 'kafka',
        state: 'disconnected',
        message: 'kafka transport is disconnected',
      });
      await client.close();
      expect(await check.run()).toMatchObject({ status: false, state: 'disconnected' });
    } finally {
      check.dispose?.();
    }
  });
});

describe('gRPC, which has no status stream', () => {
  let app: INestApplication;
  afterEach(() => app?.close());

  it('passes while the hybrid app’s gRPC server listens, fails once it is closed', async () => {
    const port = await freePort();
    app = await createApp(
      'express',
      { imports: [HeartbeatModule.forRoot({ logger: false, environ: false })] },
      (created) =>
        created.connectMicroservice({
          transport: Transport.GRPC,
          options: { package: 'ping', protoPath: PROTO, url: `127.0.0.1:${port}` },
        }),
    );
    const [check] = transportChecks(app);
    expect(check.name).toBe('transport:grpc');
    expect(await check.run()).toMatchObject({ status: false, state: 'closed' });
    await app.startAllMicroservices();
    expect(await check.run()).toEqual({ status: true, transport: 'grpc', state: 'listening' });
    await app.getMicroservices()[0].close();
    expect(await check.run()).toMatchObject({ status: false, state: 'closed', message: 'grpc transport is closed' });
  });

  it('reads a gRPC client’s channels: idle passes, a channel that cannot connect fails', async () => {
    const port = await freePort();
    const client = ClientProxyFactory.create({
      transport: Transport.GRPC,
      options: { package: 'ping', protoPath: PROTO, url: `127.0.0.1:${port}` },
    }) as ClientGrpcProxy;
    const check = transportCheck(client, { name: 'grpc-client' });
    try {
      const pinger = client.getService<{ ping(request: { text: string }): import('rxjs').Observable<unknown> }>(
        'Pinger',
      );
      expect(await check.run()).toMatchObject({ status: true, state: 'idle' });
      await new Promise<void>((resolve) =>
        pinger.ping({ text: 'x' }).subscribe({ error: () => resolve(), complete: resolve }),
      );
      expect(await check.run()).toMatchObject({ status: false, state: 'transient_failure' });
    } finally {
      client.close();
    }
  });
});
