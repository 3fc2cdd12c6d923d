import { execFileSync } from 'node:child_process';
import type { INestApplication } from '@nestjs/common';
import mongoose from 'mongoose';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  type HealthChange,
  HeartbeatModule,
  HeartbeatService,
  mongooseCheck,
  redisCheck,
  typeOrmCheck,
} from '../src/index.js';
import { ADAPTERS, createApp } from './support/app.js';
import { freePort } from './support/grpc-client.js';

const BASE = '/.well-known/heartbeat';

describe.each(ADAPTERS)('typeOrmCheck on SQLite (better-sqlite3) (%s)', (adapter) => {
  let app: INestApplication;
  let dataSource: DataSource;
  const changes: HealthChange[] = [];
  beforeAll(async () => {
    dataSource = await new DataSource({ type: 'better-sqlite3', database: ':memory:' }).initialize();
    app = await createApp(adapter, {
      imports: [
        HeartbeatModule.forRootAsync({
          useFactory: () => ({ logger: false, environ: false, checks: { readiness: [typeOrmCheck({ dataSource })] } }),
        }),
      ],
    });
    app.get(HeartbeatService).onChange((change) => changes.push(change));
  });
  afterAll(async () => {
    await app?.close();
    if (dataSource?.isInitialized) await dataSource.destroy();
  });

  it('passes, fails once the DataSource is destroyed, and passes again after it is initialized again', async () => {
    const up = await request(app.getHttpServer()).get(`${BASE}/readiness`);
    expect(up.status).toBe(200);
    expect(up.body.checks.typeorm).toEqual({ status: true, timeMs: expect.any(Number) });
    await dataSource.destroy();
    const down = await request(app.getHttpServer()).get(`${BASE}/readiness`);
    expect(down.status).toBe(500);
    expect(down.body.checks.typeorm).toMatchObject({
      status: false,
      message: 'the DataSource is not initialized (or was destroyed)',
    });
    expect(app.get(HeartbeatService).state().probes.readiness.checks[0]).toMatchObject({
      name: 'typeorm',
      status: false,
    });
    await dataSource.initialize();
    expect((await request(app.getHttpServer()).get(`${BASE}/readiness`)).status).toBe(200);
    expect(changes.map((change) => change.status)).toEqual([true, false, true]);
  });

  it('reports the database’s own error when the query fails', async () => {
    const failing = typeOrmCheck({ dataSource, query: 'SELECT * FROM no_such_table' });
    expect(await failing.run()).toMatchObject({
      status: false,
      message: expect.stringMatching(/no such table: no_such_table/),
    });
  });
});

describe('mongooseCheck on the real Mongoose connection (no MongoDB here: a closed port)', () => {
  let connection: mongoose.Connection;
  beforeAll(async () => {
    const port = await freePort();
    connection = mongoose.createConnection(`mongodb://app:hunter2@127.0.0.1:${port}/test`, {
      serverSelectionTimeoutMS: 300,
    });
    connection.on('error', () => {});
    await connection.asPromise().catch(() => {});
  });
  afterAll(() => connection?.close(true));

  it('fails with the connection’s state, and fails without a database handle while Mongoose says it is connected', async () => {
    const check = mongooseCheck({ connection, timeoutMs: 5000 });
    expect(check.name).toBe('mongodb');
    expect(await check.run()).toMatchObject({ status: false, message: 'the connection is disconnected' });
    // Mongoose's own state machine: its readyState setter emits 'connecting' and 'connected'.
    const events: string[] = [];
    const settable = connection as { readyState: number };
    connection.on('connecting', () => events.push('connecting'));
    connection.on('connected', () => events.push('connected'));
    settable.readyState = mongoose.ConnectionStates.connecting;
    expect(await check.run()).toMatchObject({ status: false, message: 'the connection is connecting' });
    settable.readyState = mongoose.ConnectionStates.connected;
    expect(events).toEqual(['connecting', 'connected']);
    // Connected by its state, but it never reached a server: no database handle to ping, and no new connection made.
    const result = await check.run();
    expect(result).toMatchObject({ status: false, message: 'the connection has no database yet' });
    expect(JSON.stringify(result)).not.toContain('hunter2');
    settable.readyState = mongoose.ConnectionStates.disconnected;
  });
});

describe('client checks: the runner’s signal, hostile instances, and no client package loaded', () => {
  it('gets the runner’s AbortSignal, aborted when the module’s timeout passes', async () => {
    let seen: AbortSignal | undefined;
    const hanging = {
      query: () => new Promise<never>(() => {}),
    };
    const check = typeOrmCheck({ dataSource: { isInitialized: true, ...hanging }, timeoutMs: 60_000 });
    const app = await createApp('express', {
      imports: [
        HeartbeatModule.forRoot({
          logger: false,
          environ: false,
          timeoutMs: 100,
          checks: { readiness: [{ ...check, run: (signal?: AbortSignal) => ((seen = signal), check.run(signal)) }] },
        }),
      ],
    });
    try {
      const res = await request(app.getHttpServer()).get(`${BASE}/readiness`);
      expect(res.status).toBe(500);
      expect(seen).toBeInstanceOf(AbortSignal);
      expect(seen?.aborted).toBe(true);
      // The check itself settles at once on the abort, not at its own 60 s timeout.
      expect(await check.run(seen)).toMatchObject({ status: false, message: expect.stringMatching(/^aborted: /) });
    } finally {
      await app.close();
    }
  });

  it('turns a throwing getter, a megabyte error and a thenable that never settles into failures with a short reason', async () => {
    const getter = {
      ping: () => Promise.resolve('PONG'),
      get status(): string {
        throw new Error('getter blew up');
      },
    };
    expect(await redisCheck({ client: getter }).run()).toMatchObject({ status: false, message: 'getter blew up' });
    const huge = { ping: () => Promise.reject(new Error(`x${'y'.repeat(1_000_000)}`)) };
    const result = await redisCheck({ client: huge }).run();
    expect(result.status).toBe(false);
    expect(String(result.message).length).toBeLessThanOrEqual(300);
    const stuck = { ping: () => ({ then: () => {} }) } as never;
    expect(await redisCheck({ client: stuck, timeoutMs: 20 }).run()).toMatchObject({
      status: false,
      message: 'no answer within 20 ms',
    });
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    expect(() => redisCheck({ client: revoked.proxy as never })).toThrow(/redisCheck\(\): option "client"/);
  });

  it('loads no client package when the module is loaded (the built CommonJS entry)', () => {
    const script =
      "require('./dist/index.js'); const re = /node_modules[\\\\/](pg|ioredis|redis|typeorm|mongoose|bullmq|kafkajs|@mikro-orm|drizzle-orm|amqplib|mqtt|@nats-io)[\\\\/]/;" +
      'console.log(JSON.stringify(Object.keys(require.cache).filter((k) => re.test(k))));';
    expect(JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: process.cwd() }).toString())).toEqual([]);
  });
});
