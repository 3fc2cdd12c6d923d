import { Controller, Get, type INestApplication, Injectable, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HttpModule } from '@nestjs/axios';
import { type MicroserviceOptions, type TcpClientOptions, Transport } from '@nestjs/microservices';
import {
  DiskHealthIndicator,
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  HttpHealthIndicator,
  MemoryHealthIndicator,
  MicroserviceHealthIndicator,
  TerminusModule,
} from '@nestjs/terminus';
import { createServer, type Server } from 'node:http';
import { execFile } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import request from 'supertest';
import { HeartbeatModule, HeartbeatService, ProbeRegistry, ReadinessProbe } from '../src/index.js';
import { ADAPTERS, createApp } from './support/app.js';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

/** A terminus 10 style indicator (terminus 12 no longer exports HealthIndicator and HealthCheckError): the same shapes. */
class HealthCheckError extends Error {
  constructor(
    message: string,
    readonly causes: unknown,
  ) {
    super(message);
  }
}
class LegacyDogIndicator {
  protected getStatus(key: string, isHealthy: boolean, data?: Record<string, unknown>) {
    return { [key]: { status: isHealthy ? 'up' : 'down', ...data } };
  }
  async isHealthy(key: string, goodboys: number) {
    const result = this.getStatus(key, goodboys > 0, { goodboys });
    if (goodboys > 0) return result;
    throw new HealthCheckError('Dog check failed', result);
  }
}

/** The outside world the indicators look at: an HTTP server, a TCP microservice, a SQLite database. */
let web: Server;
let webUrl: string;
let closedUrl: string;
let microservice: INestMicroservice;
let microservicePort: number;
let closedPort: number;

@Module({})
class EmptyModule {}

beforeAll(async () => {
  web = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  webUrl = `http://127.0.0.1:${(web.address() as { port: number }).port}/`;
  closedPort = await freePort();
  closedUrl = `http://127.0.0.1:${closedPort}/`;
  microservicePort = await freePort();
  microservice = await NestFactory.createMicroservice<MicroserviceOptions>(EmptyModule, {
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port: microservicePort },
    logger: false,
  });
  await microservice.listen();
});
afterAll(async () => {
  await microservice?.close();
  await new Promise((resolve) => web?.close(resolve));
});

/** The same indicators, each called the same way by our checks and by a terminus controller. */
@Injectable()
class Indicators {
  constructor(
    private readonly memory: MemoryHealthIndicator,
    private readonly disk: DiskHealthIndicator,
    private readonly http: HttpHealthIndicator,
    private readonly micro: MicroserviceHealthIndicator,
    private readonly health: HealthIndicatorService,
  ) {}

  list() {
    return [
      () => this.memory.checkHeap('memory_heap', 8 * 2 ** 30),
      () => this.memory.checkRSS('memory_rss_tiny', 1),
      () => this.disk.checkStorage('disk', { path: '/', thresholdPercent: 1 }),
      () => this.disk.checkStorage('disk_full', { path: '/', threshold: 1 }),
      () => this.http.pingCheck('web', webUrl),
      () => this.http.pingCheck('web_down', closedUrl),
      () =>
        this.micro.pingCheck<TcpClientOptions>('tcp', {
          transport: Transport.TCP,
          options: { host: '127.0.0.1', port: microservicePort },
        }),
      () =>
        this.micro.pingCheck<TcpClientOptions>('tcp_down', {
          transport: Transport.TCP,
          options: { host: '127.0.0.1', port: closedPort },
        }),
      () => this.health.check('queue').up({ length: 3 }),
      () => this.health.check('queue_full').down({ length: 999 }),
    ];
  }
}

@Controller('health')
class TerminusController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: Indicators,
  ) {}
  @Get()
  @HealthCheck()
  check() {
    return this.health.check(this.indicators.list());
  }
}

@Injectable()
class OurChecks {
  constructor(
    private readonly indicators: Indicators,
    private readonly registry: ProbeRegistry,
  ) {
    // One check per indicator, in the same order, as a migrating user writes them.
    for (const [i, indicator] of this.indicators.list().entries()) {
      registry.register('readiness', indicator, { name: `indicator${i}`, timeoutMs: 5000 });
    }
  }
}

function bootBoth(adapter: 'express' | 'fastify', options: Parameters<typeof HeartbeatModule.forRoot>[0] = {}) {
  return createApp(adapter, {
    imports: [
      TerminusModule.forRoot({ logger: false }),
      HttpModule,
      HeartbeatModule.forRoot({ logger: false, environ: false, ...options }),
    ],
    controllers: [TerminusController],
    providers: [Indicators, OurChecks],
  });
}

describe.each(ADAPTERS)('terminus indicators through our routes (%s)', (adapter) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootBoth(adapter);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers terminus’s own body and status code with ?format=terminus, byte for byte', async () => {
    const theirs = await request(app.getHttpServer()).get('/health');
    const ours = await request(app.getHttpServer()).get('/.well-known/heartbeat/readiness?format=terminus');
    expect(theirs.status).toBe(503);
    expect(ours.status).toBe(503);
    expect(ours.headers['content-type']).toBe('application/json; charset=utf-8');
    // Byte for byte, but for the round-trip times the indicators measure on each call.
    const timeless = (text: string) => text.replace(/"responseTime":\d+/g, '"responseTime":0');
    expect(timeless(ours.text)).toBe(timeless(theirs.text));
    const body = JSON.parse(ours.text);
    expect(body.status).toBe('error');
    expect(Object.keys(body.info)).toEqual(['memory_heap', 'disk', 'web', 'tcp', 'queue']);
    expect(Object.keys(body.error)).toEqual(['memory_rss_tiny', 'disk_full', 'web_down', 'tcp_down', 'queue_full']);
  });

  it('makes each indicator’s key a check of the seed’s JSON: up passing, down failing, the rest its data', async () => {
    const response = await request(app.getHttpServer()).get('/.well-known/heartbeat/readiness');
    expect(response.status).toBe(500);
    const { status, checks } = JSON.parse(response.text);
    expect(status).toBe(false);
    expect(checks.memory_heap).toEqual({ status: true });
    expect(checks.memory_rss_tiny).toEqual({ status: false, message: 'Used rss exceeded the set threshold' });
    expect(checks.disk_full).toEqual({ status: false, message: 'Used disk storage exceeded the set threshold' });
    expect(checks.web).toEqual({ status: true });
    expect(checks.web_down.status).toBe(false);
    expect(checks.web_down.message).toContain('ECONNREFUSED');
    expect(checks.tcp).toEqual({ status: true, responseTime: expect.any(Number) });
    expect(checks.tcp_down.status).toBe(false);
    expect(checks.queue).toEqual({ status: true, length: 3 });
    expect(checks.queue_full).toEqual({ status: false, length: 999 });
  });
});

describe('indicator results and terminus errors as checks', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function boot(options: Parameters<typeof HeartbeatModule.forRoot>[0] = {}) {
    app = await createApp('express', {
      imports: [
        TerminusModule.forRoot({ logger: false }),
        HeartbeatModule.forRoot({ logger: false, environ: false, ...options }),
      ],
    });
    return {
      registry: app.get(ProbeRegistry),
      service: app.get(HeartbeatService),
      health: app.get(HealthCheckService),
    };
  }

  it('reports an indicator result of several keys as one check per key', async () => {
    const { registry, service } = await boot();
    registry.register('readiness', () => ({ a: { status: 'up', n: 1 }, b: { message: 'gone', status: 'down' } }), {
      name: 'both',
    });
    expect(await service.readiness()).toEqual({
      status: false,
      checks: { a: { status: true, n: 1 }, b: { status: false, message: 'gone' } },
    });
    const text = await request(app!.getHttpServer()).get('/.well-known/heartbeat/readiness?verbose');
    expect(text.text).toBe('[+]a ok\n[-]b failed: gone\nreadiness check failed\n');
    // One key alone, by its name in the report.
    const one = await request(app!.getHttpServer()).get('/.well-known/heartbeat/readiness/b');
    expect([one.status, JSON.parse(one.text)]).toEqual([
      500,
      { status: false, checks: { b: { status: false, message: 'gone' } } },
    ]);
  });

  it('takes a terminus 10 style indicator: a returned getStatus and a thrown HealthCheckError', async () => {
    const { registry, service } = await boot();
    const dogs = new LegacyDogIndicator();
    registry.register('readiness', () => dogs.isHealthy('dogs', 3), { name: 'dogs' });
    registry.register('readiness', () => dogs.isHealthy('cats', 0), { name: 'cats' });
    const { checks } = await service.readiness();
    expect(checks.dogs).toEqual({ status: true, goodboys: 3 });
    // Thrown: its text is an error's, withheld by default like any thrown error's.
    expect(checks.cats).toEqual({
      status: false,
      message:
        "cats failed: threw Error; the indicator's text is withheld from probe bodies (see the Heartbeat log, or set details: 'always')",
    });
    const terminus = await request(app!.getHttpServer()).get('/.well-known/heartbeat/readiness?format=terminus');
    expect(JSON.parse(terminus.text)).toEqual({
      status: 'error',
      info: { dogs: { status: 'up', goodboys: 3 } },
      error: { cats: { status: 'down', message: expect.stringContaining('withheld') } },
      details: {
        dogs: { status: 'up', goodboys: 3 },
        cats: { status: 'down', message: expect.stringContaining('withheld') },
      },
    });
  });

  it('shows a thrown indicator’s data with details: always', async () => {
    const { registry, service } = await boot({ details: 'always' });
    registry.register('readiness', () => new LegacyDogIndicator().isHealthy('cats', 0), { name: 'cats' });
    expect((await service.readiness()).checks.cats).toEqual({ status: false, goodboys: 0 });
  });

  it('takes the ServiceUnavailableException of HealthCheckService.check: each detail a check', async () => {
    const { registry, service, health } = await boot({ details: 'always' });
    registry.register(
      'readiness',
      () =>
        health.check([
          async () => ({ cache: { status: 'up' as const } }),
          async () => ({ queue: { status: 'down' as const, message: 'full' } }),
        ]),
      { name: 'terminus' },
    );
    expect(await service.readiness()).toEqual({
      status: false,
      checks: { cache: { status: true }, queue: { status: false, message: 'full' } },
    });
  });

  it('keeps a degraded indicator passing, and says degraded in the terminus view', async () => {
    const { registry, service } = await boot();
    const indicators = app!.get(HealthIndicatorService);
    registry.register('readiness', () => indicators.check('replica').degraded({ lagSeconds: 12 }), { name: 'replica' });
    expect(await service.readiness()).toEqual({
      status: true,
      checks: { replica: { status: true, lagSeconds: 12, degraded: true } },
      degraded: true,
    });
    const terminus = await request(app!.getHttpServer()).get('/.well-known/heartbeat/readiness?format=terminus');
    expect(terminus.status).toBe(200);
    expect(terminus.text).toBe(
      JSON.stringify({
        status: 'degraded',
        info: { replica: { lagSeconds: 12, status: 'degraded' } },
        error: {},
        details: { replica: { lagSeconds: 12, status: 'degraded' } },
      }),
    );
  });

  it('makes terminus’s body the default with responseFormat, answers 503 and shutting_down like terminus', async () => {
    const { registry, service } = await boot({ responseFormat: 'terminus', failureStatusCode: 500 });
    registry.register('readiness', () => false, { name: 'db' });
    const server = app!.getHttpServer();
    const failing = await request(server).get('/.well-known/heartbeat/readiness');
    expect([failing.status, JSON.parse(failing.text)]).toEqual([
      503,
      { status: 'error', info: {}, error: { db: { status: 'down' } }, details: { db: { status: 'down' } } },
    ]);
    const seed = await request(server).get('/.well-known/heartbeat/readiness?format=json');
    expect([seed.status, JSON.parse(seed.text)]).toEqual([500, { status: false, checks: { db: { status: false } } }]);
    service.markShuttingDown();
    const down = await request(server).get('/.well-known/heartbeat/readiness');
    expect([down.status, down.text]).toEqual([
      503,
      JSON.stringify({ status: 'shutting_down', info: {}, error: {}, details: {} }),
    ]);
  });

  it('never passes a thrown result, even one whose entries are all up', async () => {
    const { registry, service } = await boot();
    registry.register(
      'readiness',
      () => {
        throw Object.assign(new Error('boom'), { causes: { x: { status: 'up' } } });
      },
      { name: 'thrower' },
    );
    expect((await service.readiness()).status).toBe(false);
  });

  it('takes what HealthCheckService.check returns when it passes', async () => {
    const { registry, service, health } = await boot();
    registry.register('readiness', () => health.check([async () => ({ cache: { status: 'up' as const } })]), {
      name: 'terminus',
    });
    expect(await service.readiness()).toEqual({ status: true, checks: { cache: { status: true } } });
  });

  it('takes an indicator keyed status', async () => {
    const { registry, service } = await boot();
    registry.register('readiness', () => ({ status: { status: 'up' } }), { name: 'statuspage' });
    expect(await service.readiness()).toEqual({ status: true, checks: { status: { status: true } } });
  });

  it('answers the route of a registered name whose result reports another key', async () => {
    const { registry } = await boot();
    registry.register('readiness', () => ({ memory_heap: { status: 'up' } }), { name: 'heap' });
    const one = await request(app!.getHttpServer()).get('/.well-known/heartbeat/readiness/heap');
    expect([one.status, JSON.parse(one.text)]).toEqual([
      200,
      { status: true, checks: { memory_heap: { status: true } } },
    ]);
  });

  it('keeps the keys of an indicator result while a failureThreshold holds', async () => {
    const { registry, service } = await boot();
    let bDown = false;
    registry.register('readiness', () => ({ a: { status: 'up' }, b: { status: bDown ? 'down' : 'up' } }), {
      name: 'both',
      failureThreshold: 3,
    });
    await service.readiness();
    bDown = true;
    expect(await service.readiness()).toEqual({
      status: true,
      checks: { a: { status: true }, b: { status: true, failing: 1, failureThreshold: 3 } },
    });
  });

  it('answers shutting_down on one check’s route in the terminus view too', async () => {
    const { registry, service } = await boot();
    registry.register('readiness', () => true, { name: 'db' });
    service.markShuttingDown();
    const one = await request(app!.getHttpServer()).get('/.well-known/heartbeat/readiness/db?format=terminus');
    expect([one.status, JSON.parse(one.text).status]).toEqual([503, 'shutting_down']);
  });

  it('does not take an object of more than 64 keys as an indicator result', async () => {
    const { registry, service } = await boot();
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, { status: 'up' }]));
    registry.register('readiness', () => many, { name: 'many' });
    const { status, checks } = await service.readiness();
    expect(status).toBe(false);
    expect(Object.keys(checks)).toEqual(['many']);
  });

  it('rejects a responseFormat it does not know', async () => {
    await expect(boot({ responseFormat: 'xml' as never })).rejects.toThrow(
      `HeartbeatModule: option "responseFormat" must be 'json' or 'terminus' (got "xml").`,
    );
  });

  it('works with a decorated method returning an indicator, as the migration guide writes it', async () => {
    @Injectable()
    class HealthChecks {
      constructor(private readonly memory: MemoryHealthIndicator) {}
      @ReadinessProbe()
      heap() {
        return this.memory.checkHeap('memory_heap', 8 * 2 ** 30);
      }
    }
    app = await createApp('express', {
      imports: [TerminusModule.forRoot({ logger: false }), HeartbeatModule.forRoot({ logger: false, environ: false })],
      providers: [HealthChecks],
    });
    expect(await app.get(HeartbeatService).readiness()).toEqual({
      status: true,
      checks: { memory_heap: { status: true } },
    });
  });
});

/**
 * better-sqlite3 12 aborts Node 24 whenever V8 collects one of its statements (its destructor calls
 * node::RemoveEnvironmentCleanupHook, which asserts an Environment that a GC finalizer does not
 * have), and TypeORM keeps statements until they are collected: on Node 24 this test would measure
 * that crash, not this package. It runs on Node 20 and 22.
 */
const onBetterSqlite = Number(process.versions.node.split('.')[0]) >= 24 ? it.skip : it;

describe('TypeOrmHealthIndicator on a real SQLite DataSource (typeorm with better-sqlite3)', () => {
  onBetterSqlite(
    'answers terminus’s body through our readiness, and each key as a check of the seed’s JSON',
    async () => {
      // In a process of its own, on the built package: see test/fixtures/terminus-typeorm.mjs.
      const fixture = new URL('./fixtures/terminus-typeorm.mjs', import.meta.url).pathname;
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [fixture], { timeout: 60_000 }, (error, out, err) =>
          error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
        ),
      );
      const { ours, seed, theirs } = JSON.parse(stdout) as {
        ours: { statusCode: number; body: string };
        seed: { statusCode: number; body: string };
        theirs: string;
      };
      const timeless = (text: string) => text.replace(/"responseTime":\d+/g, '"responseTime":0');
      expect(ours.statusCode).toBe(503);
      expect(timeless(ours.body)).toBe(timeless(theirs));
      expect(Object.keys(JSON.parse(ours.body).info)).toEqual(['database']);
      expect(Object.keys(JSON.parse(ours.body).error)).toEqual(['database_unopened']);
      const { checks } = JSON.parse(seed.body);
      expect(checks.database).toEqual({ status: true, responseTime: expect.any(Number) });
      expect(checks.database_unopened).toMatchObject({ status: false, message: expect.any(String) });
    },
  );
});
