import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import * as grpc from '@grpc/grpc-js';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  HeartbeatGrpcHealth,
  HeartbeatGrpcServer,
  HeartbeatManagementServer,
  HeartbeatModule,
  type HeartbeatModuleOptions,
  LivelinessProbe,
  ReadinessProbe,
} from '../src/index.js';
import { healthClient, until } from './support/grpc-client.js';
import { createThreadApp, probe, portOf, WORKER_ENTRY } from './support/thread.js';

const flags = { ready: true, hang: false, proxy: false };
let hangs: (() => void)[] = [];

@Injectable()
class Checks {
  @ReadinessProbe()
  database() {
    if (flags.hang) return new Promise<boolean>((resolve) => hangs.push(() => resolve(flags.ready)));
    return flags.ready;
  }
  @LivelinessProbe()
  loop() {
    if (flags.proxy) {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    }
    return true;
  }
}

const errors: unknown[] = [];
const onError = (error: unknown) => errors.push(error);
const apps: { close(): Promise<void> }[] = [];
const clients: ReturnType<typeof healthClient>[] = [];
const servers: grpc.Server[] = [];

beforeAll(() => {
  process.on('unhandledRejection', onError);
  process.on('uncaughtException', onError);
});
afterAll(() => {
  process.off('unhandledRejection', onError);
  process.off('uncaughtException', onError);
});
beforeEach(() => {
  Object.assign(flags, { ready: true, hang: false, proxy: false });
  hangs = [];
  errors.length = 0;
});
afterEach(async () => {
  for (const release of hangs.splice(0)) release();
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) server.forceShutdown();
  for (const app of apps.splice(0)) await app.close();
});

async function bootGrpc(options: HeartbeatModuleOptions) {
  const moduleRef = await Test.createTestingModule({
    imports: [HeartbeatModule.forRoot({ logger: false, ...options })],
    providers: [Checks],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  apps.push(app);
  return app;
}

async function grpcServer(health: HeartbeatGrpcHealth) {
  const server = new grpc.Server();
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  servers.push(server);
  return { server, address: `127.0.0.1:${port}` };
}

function connect(address: string) {
  const client = healthClient(address);
  clients.push(client);
  return client;
}

/** grpc-health-check's own watcher sets (private), to see what it still holds. */
function libraryWatchers(health: HeartbeatGrpcHealth): number {
  const impl = (health as unknown as { health: { watchers: Map<string, Set<unknown>> } }).health;
  let n = 0;
  for (const set of impl.watchers.values()) n += set.size;
  return n;
}

/** The service names grpc-health-check keeps an entry for (its status and watcher tables, private). */
function libraryNames(health: HeartbeatGrpcHealth): string[] {
  const impl = (health as unknown as { health: { watchers: Map<string, unknown>; statusMap: Map<string, unknown> } })
    .health;
  return [...new Set([...impl.statusMap.keys(), ...impl.watchers.keys()])].sort();
}

describe('hostile: gRPC health', () => {
  it('forgets the Watch streams of a server that was shut down gracefully (addToServer on two servers)', async () => {
    const app = await bootGrpc({ grpc: true });
    const health = app.get(HeartbeatGrpcHealth);
    const a = await grpcServer(health);
    const b = await grpcServer(health);
    const watch = connect(a.address).watch('');
    expect(await watch.next()).toBe('SERVING');
    await new Promise<void>((resolve) => a.server.tryShutdown(() => resolve()));
    expect(await watch.ended).toBe('OK');
    // A status change afterwards, through the other server.
    flags.ready = false;
    expect(await connect(b.address).check('')).toBe('NOT_SERVING');
    expect(health.watching).toBe(0);
    expect(libraryWatchers(health)).toBe(0);
    expect(errors).toEqual([]);
  });

  it('leaves nothing behind after 200 Watch streams are opened and cancelled, 50 of them of distinct unknown names', async () => {
    const app = await bootGrpc({ grpcPort: 0, grpcWatchIntervalMs: 100 });
    const health = app.get(HeartbeatGrpcHealth);
    const { port } = app.get(HeartbeatGrpcServer).address()!;
    const client = connect(`127.0.0.1:${port}`);
    const streams = Array.from({ length: 200 }, (_, i) =>
      client.watch(['', 'readiness', 'liveness', `nope-${i}`][i % 4]),
    );
    await Promise.all(streams.map((s) => s.next()));
    expect(health.watching).toBe(200);
    for (const s of streams) s.cancel();
    await Promise.all(streams.map((s) => s.ended));
    await until(() => health.watching === 0);
    expect(libraryWatchers(health)).toBe(0);
    // An unknown name never reaches the library's per-name tables, which would keep it for good.
    expect(libraryNames(health)).toEqual(['', 'liveliness', 'liveness', 'readiness', 'startup']);
    expect(errors).toEqual([]);
  });

  it('closes while a Check and a Watch are mid-evaluation, without errors into the process', async () => {
    const app = await bootGrpc({ grpcPort: 0 });
    const { port } = app.get(HeartbeatGrpcServer).address()!;
    const client = connect(`127.0.0.1:${port}`);
    flags.hang = true;
    const check = client.check('');
    const watch = client.watch('readiness');
    await until(() => hangs.length > 0);
    const started = Date.now();
    apps.splice(0);
    await app.close();
    expect(Date.now() - started).toBeLessThan(5000);
    for (const release of hangs.splice(0)) release();
    await Promise.race([check, new Promise((r) => setTimeout(r, 200))]);
    await watch.ended;
    expect(errors).toEqual([]);
  });

  it('a liveness check returning a revoked Proxy answers NOT_SERVING on Check and Watch', async () => {
    const app = await bootGrpc({ grpcPort: 0, grpcWatchIntervalMs: 100 });
    const { port } = app.get(HeartbeatGrpcServer).address()!;
    const client = connect(`127.0.0.1:${port}`);
    const watch = client.watch('liveness');
    expect(await watch.next()).toBe('SERVING');
    flags.proxy = true;
    expect(await watch.next()).toBe('NOT_SERVING');
    expect(await client.check('liveness')).toBe('NOT_SERVING');
    expect(errors).toEqual([]);
  });

  it('a client that cancels a Check mid-evaluation causes no error', async () => {
    const app = await bootGrpc({ grpcPort: 0 });
    const { port } = app.get(HeartbeatGrpcServer).address()!;
    const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    flags.hang = true;
    const call = raw.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      () => Buffer.from([10, 0]),
      (b: Buffer) => b,
      {},
      () => undefined,
    );
    await until(() => hangs.length > 0);
    call.cancel();
    await new Promise((r) => setTimeout(r, 50));
    for (const release of hangs.splice(0)) release();
    await new Promise((r) => setTimeout(r, 50));
    raw.close();
    expect(errors).toEqual([]);
  });
});

describe('hostile: thread: true', () => {
  const BASE = '/.well-known/heartbeat';
  async function bootThread(options: HeartbeatModuleOptions = {}, entry = WORKER_ENTRY) {
    const app: INestApplication = await createThreadApp(
      {
        imports: [HeartbeatModule.forRoot({ logger: false, port: 0, intervalMs: 100, thread: true, ...options })],
        providers: [Checks],
      },
      { entry },
    );
    apps.push(app);
    return app;
  }

  it('passes readiness right after boot when the worker was slow to start (no lag in the main loop)', async () => {
    // A worker whose start takes 400 ms (a cold, CPU-throttled container): the main loop was idle all along.
    const slow = join(tmpdir(), `slow-worker-${process.pid}.mjs`);
    writeFileSync(
      slow,
      `await new Promise((r) => setTimeout(r, 400));\nawait import(${JSON.stringify(WORKER_ENTRY)});\n`,
    );
    const app = await bootThread({}, slow);
    const port = portOf(app);
    // Wait until the first check results are in (the main thread answers quickly).
    const answer = await probe(port, `${BASE}/readiness`);
    rmSync(slow, { force: true });
    const { mainThread } = JSON.parse(answer.body) as { mainThread: { status: boolean; lagMs: number } };
    // Not the 400 ms the worker took to start: the main loop was idle (a busy machine may delay a mark).
    expect(mainThread.status).toBe(true);
    expect(mainThread.lagMs).toBeLessThan(250);
    expect(answer.status).toBe(200);
  });

  it('passes readiness right after boot with the real worker and the default maxLagMs', async () => {
    const app = await bootThread({});
    const answer = await probe(portOf(app), `${BASE}/readiness`);
    expect(JSON.parse(answer.body).mainThread.lagMs).toBeLessThan(100);
  });

  it('answers HEAD and unknown methods on the worker port like the main-thread port', async () => {
    const app = await bootThread({ maxLagMs: 60_000 });
    const port = portOf(app);
    const head = await probe(port, `${BASE}/liveness`, {}, 'HEAD');
    expect(head.body).toBe('');
    expect(head.status).toBe(200);
    const del = await probe(port, `${BASE}/liveness`, {}, 'DELETE');
    expect(del.status).toBe(405);
    expect(del.headers.allow).toBeDefined();
    const weird = await probe(port, `${BASE}/liveness?x=1`, {}, 'PURGE');
    expect(weird.status).toBe(405);
    expect(errors).toEqual([]);
  });

  it('answers 431 to a huge header and keeps serving', async () => {
    const app = await bootThread({ maxLagMs: 60_000 });
    const port = portOf(app);
    const big = await probe(port, `${BASE}/liveness`, { 'x-big': 'a'.repeat(1 << 20) }).catch((e: Error) => e.message);
    expect(typeof big === 'string' || big.status === 431).toBe(true);
    expect((await probe(port, `${BASE}/liveness`)).status).toBe(200);
  });

  it('answers 100 concurrent forwarded requests with a query', async () => {
    const app = await bootThread({ maxLagMs: 60_000 });
    const port = portOf(app);
    const all = await Promise.all(Array.from({ length: 100 }, (_, i) => probe(port, `${BASE}/readiness?i=${i}`)));
    expect(all.map((a) => a.status).filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('serveOn: both with thread: true', async () => {
    const app = await bootThread({ serveOn: 'both', maxLagMs: 60_000 });
    const port = portOf(app);
    expect((await probe(port, `${BASE}/liveness`)).status).toBe(200);
  });

  it('closes twice without error', async () => {
    const app = await bootThread({ maxLagMs: 60_000 });
    apps.splice(0);
    await app.close();
    await app.close();
    expect(app.get(HeartbeatManagementServer).address()).toBeNull();
    expect(errors).toEqual([]);
  });
});
