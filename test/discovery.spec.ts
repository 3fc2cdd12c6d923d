import { Controller, Get, Injectable, Module, type INestApplication, Scope } from '@nestjs/common';
import request from 'supertest';
import {
  HeartbeatModule,
  type HeartbeatModuleOptions,
  type HeartbeatOptionsFactory,
  HeartbeatService,
  LivelinessProbe,
  ProbeRegistry,
  ReadinessProbe,
} from '../src/index.js';
import { ADAPTERS, createApp } from './support/app.js';
import { RecordingLogger } from './support/logger.js';

const BASE = '/.well-known/heartbeat';

@Injectable()
class DatabaseChecks {
  static calls = 0;
  @ReadinessProbe('database')
  ping() {
    DatabaseChecks.calls++;
    return true;
  }
}

class BaseChecks {
  @ReadinessProbe()
  inherited() {
    return true;
  }
  @ReadinessProbe()
  overridden() {
    return true;
  }
}

@Injectable()
class ChildChecks extends BaseChecks {
  @LivelinessProbe()
  own() {
    return true;
  }
  // An override without a decorator is not a probe any more.
  override overridden() {
    return false;
  }
}

@Injectable({ scope: Scope.REQUEST })
class PerRequestChecks {
  @ReadinessProbe()
  perRequest() {
    return false;
  }
}

@Controller('orders')
class OrdersController {
  @Get()
  list() {
    return [];
  }
  @LivelinessProbe('orders-controller')
  alive() {
    return { status: true, open: 2 };
  }
}

@Injectable()
class OptionsFactory implements HeartbeatOptionsFactory {
  createHeartbeatOptions(): HeartbeatModuleOptions {
    return { failureStatusCode: 503, logger: false };
  }
}

@Module({ providers: [OptionsFactory], exports: [OptionsFactory] })
class ConfigModule {}

@Injectable()
class Failing {
  @ReadinessProbe()
  down() {
    return false;
  }
}

@Controller('custom')
class CustomHealthController {
  constructor(private readonly heartbeat: HeartbeatService) {}
  @Get('ready')
  async ready() {
    const report = await this.heartbeat.readiness();
    return { ok: report.status, count: Object.keys(report.checks).length };
  }
}

describe.each(ADAPTERS)('discovery and configuration (%s)', (adapter) => {
  let app: INestApplication;
  const get = (path: string) => request(app.getHttpServer()).get(path);
  afterEach(() => app?.close());

  it('forRootAsync with useFactory, inject and a path', async () => {
    app = await createApp(adapter, {
      imports: [
        HeartbeatModule.forRootAsync({
          path: 'probes',
          imports: [ConfigModule],
          inject: [OptionsFactory],
          useFactory: (factory: OptionsFactory) => ({ ...factory.createHeartbeatOptions(), failureStatusCode: 502 }),
        }),
      ],
      providers: [Failing],
    });
    expect((await get('/probes/readiness')).status).toBe(502);
  });

  it('forRootAsync with useClass', async () => {
    app = await createApp(adapter, {
      imports: [HeartbeatModule.forRootAsync({ useClass: OptionsFactory })],
      providers: [Failing],
    });
    expect((await get(`${BASE}/readiness`)).status).toBe(503);
  });

  it('forRootAsync with useExisting', async () => {
    app = await createApp(adapter, {
      imports: [HeartbeatModule.forRootAsync({ imports: [ConfigModule], useExisting: OptionsFactory })],
      providers: [Failing],
    });
    expect((await get(`${BASE}/readiness`)).status).toBe(503);
  });

  it('registers a useExisting alias of a probe provider once', async () => {
    DatabaseChecks.calls = 0;
    app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ logger: false })],
      providers: [DatabaseChecks, { provide: 'DB_ALIAS', useExisting: DatabaseChecks }],
    });
    const res = await get(`${BASE}/readiness`);
    expect(res.body).toEqual({ status: true, checks: { database: { status: true } } });
    expect(DatabaseChecks.calls).toBe(1);
  });

  it('skips a null-prototype useValue and other non-class values', async () => {
    app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ logger: false })],
      providers: [
        { provide: 'NULL_PROTO', useValue: Object.create(null) },
        { provide: 'NUMBER', useValue: 42 },
        { provide: 'NOTHING', useValue: null },
        DatabaseChecks,
      ],
    });
    expect((await get(`${BASE}/readiness`)).body).toEqual({ status: true, checks: { database: { status: true } } });
  });

  it('warns once about a request-scoped probe provider and skips it', async () => {
    const logger = new RecordingLogger();
    app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ logger })],
      providers: [PerRequestChecks],
    });
    expect((await get(`${BASE}/readiness`)).body).toEqual({ status: true, checks: {} });
    expect(logger.messages('warn')).toEqual([
      'PerRequestChecks@perRequest is a probe handler on a request-scoped provider and is skipped: probes need a static (singleton) provider.',
    ]);
  });

  it('discovers probe methods inherited from a parent class', async () => {
    app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger: false })], providers: [ChildChecks] });
    expect((await get(`${BASE}/readiness`)).body).toEqual({ status: true, checks: { inherited: { status: true } } });
    expect((await get(`${BASE}/liveliness`)).body).toEqual({ status: true, checks: { own: { status: true } } });
  });

  it('discovers probes on controllers', async () => {
    app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ logger: false })],
      controllers: [OrdersController],
    });
    expect((await get(`${BASE}/liveliness`)).body).toEqual({
      status: true,
      checks: { 'orders-controller': { status: true, open: 2 } },
    });
    expect((await get('/orders')).status).toBe(200);
  });

  it('register() adds a check and its return value removes it', async () => {
    app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger: false })] });
    const registry = app.get(ProbeRegistry);
    const unregister = registry.register('readiness', async () => ['broker', false, { message: 'no broker' }]);
    const named = registry.register('liveness', () => true, { name: 'manual' });
    expect((await get(`${BASE}/readiness`)).body).toEqual({
      status: false,
      checks: { broker: { status: false, message: 'no broker' } },
    });
    expect((await get(`${BASE}/liveliness`)).body).toEqual({ status: true, checks: { manual: { status: true } } });
    unregister();
    named();
    expect((await get(`${BASE}/readiness`)).body).toEqual({ status: true, checks: {} });
    expect((await get(`${BASE}/liveliness`)).body).toEqual({ status: true, checks: {} });
  });

  it('register() rejects an unknown kind or a non-function with a clear error', async () => {
    app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger: false })] });
    const registry = app.get(ProbeRegistry);
    expect(() => registry.register('ready' as never, () => true)).toThrow('Unknown probe kind "ready"');
    expect(() => registry.register('readiness', 'nope' as never)).toThrow('handler must be a function');
    expect(() => registry.register('readiness', () => true, { timeoutMs: -1 })).toThrow(
      'option "timeoutMs" must be a number of milliseconds from 0 to 2147483647 (got -1)',
    );
  });

  it('lets a user serve reports from a controller of their own', async () => {
    app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ logger: false })],
      providers: [DatabaseChecks],
      controllers: [CustomHealthController],
    });
    expect((await get('/custom/ready')).body).toEqual({ ok: true, count: 1 });
  });

  it('isGlobal makes HeartbeatService injectable everywhere', async () => {
    @Module({ controllers: [CustomHealthController] })
    class FeatureModule {}
    app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ isGlobal: true, logger: false }), FeatureModule],
    });
    expect((await get('/custom/ready')).body).toEqual({ ok: true, count: 0 });
  });
});
