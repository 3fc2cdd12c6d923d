/**
 * One contender of the benchmark, run as its own process by bench/run.mjs:
 *   node bench/dist/server.js <contender> <scenario>
 * It reports {port} once listening and answers {calls, rss} when asked, over the IPC channel.
 */
import 'reflect-metadata';
import { type INestApplication, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { HeartbeatGrpcServer, HeartbeatManagementServer, HeartbeatService } from 'nestjs-heartbeat';
import {
  BareModule,
  BurnModule,
  counters,
  heartbeatModule,
  type Scenario,
  terminusModule,
  TRIVIAL_BODY,
} from './contenders.js';

/** The interval of the checks of the `heartbeat-background` contenders. */
const BACKGROUND_INTERVAL_MS = 1000;

const [contender, scenario = 'trivial'] = process.argv.slice(2) as [string, Scenario];
const fastify = contender.endsWith('-fastify');

/** The Nest app of this contender, if it is one. */
let nestApp: INestApplication | null = null;

async function nest(module: Type<unknown>, ...others: Type<unknown>[]): Promise<INestApplication> {
  @Module({ imports: [module, ...others] })
  class Root {}
  const app = fastify
    ? await NestFactory.create(Root, new FastifyAdapter(), { logger: false })
    : await NestFactory.create(Root, { logger: false });
  await app.listen(0, '127.0.0.1');
  nestApp = app;
  return app;
}

function bareHttp(): Promise<Server> {
  const body = process.env.BENCH_BODY_FILE
    ? readFileSync(process.env.BENCH_BODY_FILE, 'utf8')
    : JSON.stringify(TRIVIAL_BODY);
  const server = createServer((_req, res) => {
    res.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function start(): Promise<{ port: number; path: string; bare?: string; management?: number; grpcPort?: number }> {
  if (contender === 'http-bare') {
    const server = await bareHttp();
    return { port: (server.address() as { port: number }).port, path: '/' };
  }
  const kind = contender.replace(/-(express|fastify)$/, '');
  if (kind.startsWith('saturation-')) {
    // The app's route burns CPU; the probes are served on the app, and on the management port, in a
    // worker thread (saturation-thread) or on the main thread (saturation-main).
    const thread = kind === 'saturation-thread';
    const app = await nest(heartbeatModule('saturation', { port: 0, serveOn: 'both', thread }), BurnModule);
    const management = app.get(HeartbeatManagementServer).address()!.port;
    return { port: (app.getHttpServer().address() as { port: number }).port, path: '/burn', management };
  }
  if (kind === 'heartbeat-port') {
    // The management port: the same readiness on the module's own node:http server.
    const app = await nest(heartbeatModule(scenario, { port: 0 }));
    const address = app.get(HeartbeatManagementServer).address()!;
    return { port: address.port, path: '/.well-known/heartbeat/readiness' };
  }
  if (kind === 'heartbeat-beside') {
    // Readiness and the bare Nest route in one app, for the Fastify guard: the two share one process,
    // so its state (see docs/benchmarks.md, Guards: process.nextTick's) is the same for both.
    const app = await nest(heartbeatModule(scenario), BareModule);
    return {
      port: (app.getHttpServer().address() as { port: number }).port,
      path: '/.well-known/heartbeat/readiness',
      bare: '/bare',
    };
  }
  if (kind === 'heartbeat-grpc') {
    // The same readiness on the management port and as gRPC Check on the module's own gRPC server.
    const app = await nest(heartbeatModule(scenario, { port: 0, grpcPort: 0 }));
    const address = app.get(HeartbeatManagementServer).address()!;
    const grpcPort = app.get(HeartbeatGrpcServer).address()!.port;
    return { port: address.port, path: '/.well-known/heartbeat/readiness', grpcPort };
  }
  const module =
    kind === 'nest-bare'
      ? BareModule
      : kind === 'terminus'
        ? terminusModule(scenario as Exclude<Scenario, 'environ'>)
        : kind === 'heartbeat-background'
          ? heartbeatModule(scenario, { intervalMs: BACKGROUND_INTERVAL_MS })
          : kind === 'heartbeat-metrics'
            ? heartbeatModule(scenario, { metrics: { prometheus: true } })
            : heartbeatModule(scenario);
  const app = await nest(module);
  const port = (app.getHttpServer().address() as { port: number }).port;
  const path =
    kind === 'nest-bare'
      ? '/bare'
      : kind === 'terminus'
        ? '/health'
        : `/.well-known/heartbeat/${scenario === 'environ' ? 'environ' : 'readiness'}`;
  return { port, path };
}

const { port, path, bare, management, grpcPort } = await start();
const started = nestApp as INestApplication | null;
if (started && contender.startsWith('heartbeat') && !process.env.BENCH_COLD) {
  // Steady state only: the one-time library inventory the module starts at bootstrap (a few hundred
  // ms of CPU) is awaited here, so it does not land in the measured seconds. environ() waits for it
  // a short while only, then answers what is found so far (`"complete": false`): ask until it is done.
  const service = started.get(HeartbeatService);
  while (JSON.stringify(await service.environ()).includes('"complete":false'))
    await new Promise((resolve) => setTimeout(resolve, 100));
}
if (process.env.BENCH_SETTLE) {
  // One full collection while idle, nothing queued: it puts process.nextTick in the state a process
  // keeps after such a collection (docs/benchmarks.md, Guards), so that servers compared with each
  // other are in the same one. Needs node --expose-gc.
  await new Promise((resolve) => setTimeout(resolve, 10));
  (globalThis as { gc?: () => void }).gc!();
}
process.send?.({ type: 'ready', port, path, bare, management, grpcPort });
let cpuSince = process.cpuUsage();
process.on('message', (message: { type: string }) => {
  if (message.type === 'stats') {
    const cpu = process.cpuUsage(cpuSince);
    process.send?.({
      type: 'stats',
      calls: counters.calls,
      rss: process.memoryUsage().rss,
      cpuMicros: cpu.user + cpu.system,
    });
    counters.calls = 0;
    cpuSince = process.cpuUsage();
  }
});
process.on('disconnect', () => process.exit(0));
