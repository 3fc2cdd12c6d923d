import {
  type CanActivate,
  Controller,
  Get,
  Injectable,
  type INestApplication,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  SetMetadata,
} from '@nestjs/common';
import { APP_GUARD, NestFactory, Reflector } from '@nestjs/core';
import type { ExecutionContext } from '@nestjs/common';
import request from 'supertest';
import {
  HeartbeatManagementServer,
  HeartbeatModule,
  HeartbeatService,
  ReadinessProbe,
  StartupProbe,
} from '../src/index.js';
import { ADAPTERS, createApp } from './support/app.js';

const BASE = '/.well-known/heartbeat';

@Injectable()
class Warmup {
  static cacheWarm = false;
  static migrated = false;
  static calls = { cache: 0, migrations: 0 };
  @StartupProbe('cache')
  cache() {
    Warmup.calls.cache++;
    return Warmup.cacheWarm;
  }
  @StartupProbe()
  migrations() {
    Warmup.calls.migrations++;
    return { status: Warmup.migrated, pending: Warmup.migrated ? 0 : 3 };
  }
}

@Injectable()
class Ready {
  @ReadinessProbe()
  database() {
    return true;
  }
}

const IS_PUBLIC = 'isPublic';
const Public = () => SetMetadata(IS_PUBLIC, true);

@Injectable()
class DenyAllButPublic implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    return this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]) === true;
  }
}

@Controller('private')
class PrivateController {
  @Get()
  secret() {
    return { secret: true };
  }
}

describe.each(ADAPTERS)('Kubernetes lifecycle (%s)', (adapter) => {
  let app: INestApplication;
  const get = (path: string) => request(app.getHttpServer()).get(path);
  afterEach(() => app?.close());

  it('startup fails until every startup check has passed once, then passes for good', async () => {
    Warmup.cacheWarm = false;
    Warmup.migrated = false;
    Warmup.calls = { cache: 0, migrations: 0 };
    app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger: false })], providers: [Warmup] });
    let res = await get(`${BASE}/startup`);
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      status: false,
      checks: { cache: { status: false }, migrations: { status: false, pending: 3 } },
    });
    Warmup.cacheWarm = true;
    res = await get(`${BASE}/startup`);
    expect(res.status).toBe(500);
    expect(res.body.checks.cache).toEqual({ status: true });
    Warmup.cacheWarm = false; // a passed startup check is not run again
    Warmup.migrated = true;
    res = await get(`${BASE}/startup`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: true,
      checks: { cache: { status: true }, migrations: { status: true, pending: 0 } },
    });
    Warmup.migrated = false;
    res = await get(`${BASE}/startup`);
    expect(res.status).toBe(200);
    expect(Warmup.calls).toEqual({ cache: 2, migrations: 3 });
  });

  it('startup passes at once without startup checks', async () => {
    app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger: false })] });
    const res = await get(`${BASE}/startup`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: true, checks: {} });
  });

  it('takes the instance out of rotation and back, readiness only', async () => {
    app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger: false })], providers: [Ready] });
    const heartbeat = app.get(HeartbeatService);
    heartbeat.takeOutOfRotation('database migration');
    expect(heartbeat.isInRotation()).toBe(false);
    const out = await get(`${BASE}/readiness`);
    expect(out.status).toBe(500);
    expect(out.body).toEqual({
      status: false,
      checks: { rotation: { status: false, message: 'the instance was taken out of rotation: database migration' } },
    });
    expect((await get(`${BASE}/liveliness`)).status).toBe(200);
    heartbeat.returnToRotation();
    expect((await get(`${BASE}/readiness`)).body).toEqual({ status: true, checks: { database: { status: true } } });
  });

  it('lets the kubelet through a global guard with routeDecorators', async () => {
    app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ logger: false, routeDecorators: [Public()] })],
      controllers: [PrivateController],
      providers: [{ provide: APP_GUARD, useClass: DenyAllButPublic }],
    });
    expect((await get('/private')).status).toBe(403);
    for (const probe of ['readiness', 'liveliness', 'liveness', 'startup', 'environ']) {
      expect((await get(`${BASE}/${probe}`)).status).toBe(200);
    }
  });

  it('without routeDecorators the same guard answers 403 to the probes', async () => {
    app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ logger: false })],
      providers: [{ provide: APP_GUARD, useClass: DenyAllButPublic }],
    });
    expect((await get(`${BASE}/readiness`)).status).toBe(403);
  });
});

@Module({ controllers: [PrivateController] })
class MiddlewareModule implements NestModule {
  configure(consumer: MiddlewareConsumer) {
    consumer
      .apply((_req: unknown, res: { statusCode: number; end: (body: string) => void }) => {
        res.statusCode = 401;
        res.end('{"blocked":true}');
      })
      .forRoutes('*');
  }
}

describe.each(ADAPTERS)('the management port (%s)', (adapter) => {
  let app: INestApplication;
  afterEach(() => app?.close());
  const managementUrl = (nest: { get: INestApplication['get'] }) => {
    const address = nest.get(HeartbeatManagementServer).address()!;
    return `http://${address.host}:${address.port}`;
  };

  it('serves byte-identical bodies on both transports, past middleware and a global prefix', async () => {
    app = await createApp(
      adapter,
      {
        imports: [HeartbeatModule.forRoot({ logger: false, port: 0, serveOn: 'both' }), MiddlewareModule],
        providers: [Ready],
      },
      (nest) => nest.setGlobalPrefix('api'),
    );
    const url = managementUrl(app);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const probe of ['readiness', 'liveliness', 'startup']) {
      const viaPort = await fetch(`${url}${BASE}/${probe}`);
      expect(viaPort.status).toBe(200);
      expect(viaPort.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(viaPort.headers.get('cache-control')).toBe('no-store');
      const portBody = await viaPort.text();
      // The app's middleware blocks everything on the app, under its prefix.
      const viaApp = await request(app.getHttpServer()).get(`/api${BASE}/${probe}`);
      expect(viaApp.status).toBe(401);
      expect(portBody).toBe(
        JSON.stringify(await app.get(HeartbeatService)[probe === 'startup' ? 'startup' : (probe as 'readiness')]()),
      );
    }
    const environ = await fetch(`${url}${BASE}/environ`);
    expect(environ.status).toBe(200);
    expect(((await environ.json()) as { libraries: object }).libraries).toBeDefined();
  });

  it('gives identical bytes to the app route when both serve it, and keeps environ off the app', async () => {
    app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ logger: false, port: 0, serveOn: 'both' })],
      providers: [Ready],
    });
    const url = managementUrl(app);
    const viaPort = await (await fetch(`${url}${BASE}/readiness`)).text();
    const viaApp = await request(app.getHttpServer()).get(`${BASE}/readiness`);
    expect(viaApp.text).toBe(viaPort);
    expect((await request(app.getHttpServer()).get(`${BASE}/environ`)).status).toBe(404);
    expect((await fetch(`${url}${BASE}/environ`)).status).toBe(200);
  });

  it('with a port alone serves nothing on the app; answers 404, 405 and HEAD on the port', async () => {
    app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger: false, port: 0 })] });
    const url = managementUrl(app);
    expect((await request(app.getHttpServer()).get(`${BASE}/readiness`)).status).toBe(404);
    expect((await fetch(`${url}${BASE}/readiness?x=1`)).status).toBe(200);
    const head = await fetch(`${url}${BASE}/readiness`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${url}${BASE}/readiness`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const missing = await fetch(`${url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ statusCode: 404, message: 'Not Found' });
  });
});

describe('the management port without an HTTP server', () => {
  it('gives an application context probes, and closes with it', async () => {
    @Module({ imports: [HeartbeatModule.forRoot({ logger: false, port: 0 })], providers: [Ready] })
    class WorkerModule {}
    const context = await NestFactory.createApplicationContext(WorkerModule, { logger: false });
    await context.init();
    const address = context.get(HeartbeatManagementServer).address()!;
    const res = await fetch(`http://127.0.0.1:${address.port}${BASE}/readiness`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: true, checks: { database: { status: true } } });
    await context.close();
    await expect(fetch(`http://127.0.0.1:${address.port}${BASE}/readiness`)).rejects.toThrow();
  });

  it('fails the bootstrap with a clear error when the port is taken', async () => {
    const first = await createApp('express', { imports: [HeartbeatModule.forRoot({ logger: false, port: 0 })] });
    const port = first.get(HeartbeatManagementServer).address()!.port;
    await expect(createApp('express', { imports: [HeartbeatModule.forRoot({ logger: false, port })] })).rejects.toThrow(
      `HeartbeatModule: the management server could not listen on 127.0.0.1:${port}: listen EADDRINUSE`,
    );
    await first.close();
  });

  it("rejects serveOn: 'port' without a port", async () => {
    await expect(createApp('express', { imports: [HeartbeatModule.forRoot({ serveOn: 'port' })] })).rejects.toThrow(
      `option "serveOn" must be 'app' unless a port is set (got "port")`,
    );
  });
});
