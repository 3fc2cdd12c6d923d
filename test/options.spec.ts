import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  type INestApplication,
  Module,
  SetMetadata,
} from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import request from 'supertest';
import {
  type CheckHandler,
  type CheckOptions,
  HeartbeatManagementServer,
  HeartbeatModule,
  type HeartbeatModuleOptions,
  type ProbeHandler,
  type ProbeOptions,
} from '../src/index.js';
import { resolveOptions } from '../src/heartbeat.options.js';
import { ADAPTERS, createApp } from './support/app.js';
import { RecordingLogger } from './support/logger.js';

@Injectable()
class Settings {
  readonly path = 'from-config/health';
}

@Module({ providers: [Settings], exports: [Settings] })
class SettingsModule {}

/** A global guard that lets through only controllers marked public, as an app's auth guard does. */
@Injectable()
class PublicOnly implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    return this.reflector.get<boolean>('public', context.getClass()) === true;
  }
}

/** Runs `body` with the environment variable set (or removed, for `undefined`), then restores it. */
async function withEnv<T>(name: string, value: string | undefined, body: () => Promise<T> | T): Promise<T> {
  const before = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  try {
    return await body();
  } finally {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  }
}

describe.each(ADAPTERS)('module options (%s)', (adapter) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('forRoot() with no argument serves the seed routes', async () => {
    app = await createApp(adapter, { imports: [HeartbeatModule.forRoot()] });
    const res = await request(app.getHttpServer()).get('/.well-known/heartbeat/readiness');
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"status":true,"checks":{}}');
  });

  it('takes path from the forRootAsync factory, on the app and on the management port', async () => {
    app = await createApp(adapter, {
      imports: [
        HeartbeatModule.forRootAsync({
          imports: [SettingsModule],
          inject: [Settings],
          useFactory: (settings: Settings): HeartbeatModuleOptions => ({
            path: settings.path,
            logger: false,
            port: 0,
            serveOn: 'both',
          }),
        }),
      ],
    });
    const server = app.getHttpServer();
    expect((await request(server).get('/from-config/health/readiness')).status).toBe(200);
    expect((await request(server).get('/.well-known/heartbeat/readiness')).status).toBe(404);
    const { port } = app.get(HeartbeatManagementServer).address()!;
    expect((await request(`http://127.0.0.1:${port}`).get('/from-config/health/liveliness')).status).toBe(200);
  });

  it('keeps routeDecorators on a controller whose path came from the factory', async () => {
    app = await createApp(adapter, {
      imports: [
        HeartbeatModule.forRootAsync({
          routeDecorators: [SetMetadata('public', true)],
          useFactory: () => ({ path: '/probes/', logger: false as const }),
        }),
      ],
      providers: [{ provide: APP_GUARD, useClass: PublicOnly }],
    });
    expect((await request(app.getHttpServer()).get('/probes/readiness')).status).toBe(200);
  });
});

describe('option validation', () => {
  const boot = (imports: unknown[]) => createApp('express', { imports: imports as never[] });

  it('fails the bootstrap on an unknown option, naming it and the closest known one', async () => {
    await expect(boot([HeartbeatModule.forRoot({ timeoutMS: 50 } as HeartbeatModuleOptions)])).rejects.toThrow(
      'HeartbeatModule: unknown option "timeoutMS" (did you mean "timeoutMs"?)',
    );
    await expect(
      boot([
        HeartbeatModule.forRootAsync({ useFactory: () => ({ failureStatuscode: 503 }) as HeartbeatModuleOptions }),
      ]),
    ).rejects.toThrow('unknown option "failureStatuscode" (did you mean "failureStatusCode"?)');
    await expect(
      boot([HeartbeatModule.forRoot({ environ: { rooot: '/' } } as HeartbeatModuleOptions)]),
    ).rejects.toThrow('unknown option "environ.rooot" (did you mean "environ.root"?)');
    await expect(boot([HeartbeatModule.forRoot({ frobnicate: true } as HeartbeatModuleOptions)])).rejects.toThrow(
      /unknown option "frobnicate"; known options: failureStatusCode, timeoutMs/,
    );
  });

  it('explains that declaration options cannot come from a factory', async () => {
    await expect(
      boot([HeartbeatModule.forRootAsync({ useFactory: () => ({ isGlobal: true }) as HeartbeatModuleOptions })]),
    ).rejects.toThrow('option "isGlobal" shapes the module\'s declaration');
  });

  it('rejects durations setTimeout cannot honour', () => {
    expect(() => resolveOptions({ timeoutMs: 2 ** 31 })).toThrow(
      'option "timeoutMs" must be a number of milliseconds from 0 to 2147483647 (got 2147483648)',
    );
    expect(() => resolveOptions({ abandonAfterMs: Number.NaN })).toThrow('abandonAfterMs');
  });

  it('waits 5 s before closing only in Kubernetes, so that nest start --watch restarts at once', async () => {
    await withEnv('KUBERNETES_SERVICE_HOST', undefined, () => {
      expect(resolveOptions({}).shutdownDelayMs).toBe(0);
    });
    await withEnv('KUBERNETES_SERVICE_HOST', '10.0.0.1', () => {
      expect(resolveOptions({}).shutdownDelayMs).toBe(5000);
      expect(resolveOptions({ shutdownDelayMs: 0 }).shutdownDelayMs).toBe(0);
    });
  });
});

describe('environ on the public port in production', () => {
  const hintsOf = async (options: HeartbeatModuleOptions, routeDecorators: ClassDecorator[] = []) => {
    const logger = new RecordingLogger();
    const app = await withEnv('NODE_ENV', 'production', () =>
      createApp('express', {
        imports: [HeartbeatModule.forRoot({ ...options, logger, routeDecorators, environ: options.environ })],
      }),
    );
    await app.close();
    return logger.messages().filter((line) => line.includes('environ ('));
  };

  it('logs once that environ is kept off the app port, naming the three ways to serve it', async () => {
    const hints = await hintsOf({ environ: { root: process.cwd() } });
    expect(hints).toHaveLength(1);
    expect(hints[0]).toContain('environ: { public: true }');
    expect(hints[0]).toContain('routeDecorators');
    expect(hints[0]).toContain('management port');
  });

  it('stays quiet when environ is guarded, opted in, moved to a port or off', async () => {
    expect(await hintsOf({}, [SetMetadata('public', false)])).toEqual([]);
    expect(await hintsOf({ environ: { public: true } })).toEqual([]);
    expect(await hintsOf({ port: 0 })).toEqual([]);
    expect(await hintsOf({ environ: false })).toEqual([]);
  });
});

describe('renamed public types', () => {
  it('keep their old names as deprecated aliases (type-checked by npm run typecheck)', () => {
    const options: ProbeOptions = { name: 'db', timeoutMs: 100 } satisfies CheckOptions;
    const handler: ProbeHandler = (() => true) satisfies CheckHandler;
    expect([options.name, handler(new AbortController().signal)]).toEqual(['db', true]);
  });
});
