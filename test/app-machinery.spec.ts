import 'reflect-metadata';
import {
  type ArgumentsHost,
  Catch,
  type CallHandler,
  ClassSerializerInterceptor,
  Controller,
  type ExceptionFilter,
  Get,
  type INestApplication,
  Injectable,
  type NestInterceptor,
  ValidationPipe,
} from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE, HttpAdapterHost } from '@nestjs/core';
import { CacheInterceptor, CacheModule } from '@nestjs/cache-manager';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { map, type Observable } from 'rxjs';
import { HeartbeatModule, LivelinessProbe, ReadinessProbe } from '../src/index.js';
import { ADAPTERS, type AdapterName, createApp } from './support/app.js';
import { createEnvironRoot, removeEnvironRoot, send } from './support/transports.js';

const BASE = '/.well-known/heartbeat';
const root = createEnvironRoot();
afterAll(() => removeEnvironRoot(root));

/** The interceptor of the issue: every response wrapped as `{ data }`. */
@Injectable()
class WrapInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((data) => ({ data })));
  }
}

/** A catch-all filter that answers 418 with its own body. */
@Catch()
class TeapotFilter implements ExceptionFilter {
  constructor(private readonly host: HttpAdapterHost) {}
  catch(_exception: unknown, context: ArgumentsHost): void {
    const response = context.switchToHttp().getResponse();
    this.host.httpAdapter.reply(response, { teapot: true }, 418);
  }
}

@Injectable()
class Checks {
  @ReadinessProbe()
  database() {
    return true;
  }
  @ReadinessProbe()
  cache() {
    throw new Error('cache is down');
  }
  @LivelinessProbe()
  loop() {
    return { status: true, lagMs: 1 };
  }
}

@Controller()
class AppController {
  @Get('hello')
  hello() {
    return 'hi';
  }
  @Get('broken')
  broken() {
    throw new Error('broken');
  }
}

/** Every global a generated app tends to add: a wrapping interceptor, the serializer, validation, a filter. */
const MACHINERY = [
  { provide: APP_INTERCEPTOR, useClass: WrapInterceptor },
  { provide: APP_INTERCEPTOR, useClass: ClassSerializerInterceptor },
  { provide: APP_PIPE, useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }) },
  { provide: APP_FILTER, useClass: TeapotFilter },
];

async function boot(adapter: AdapterName, machinery: boolean): Promise<{ app: INestApplication; url: string }> {
  const app = await createApp(adapter, {
    imports: [HeartbeatModule.forRoot({ logger: false, environ: { root } })],
    controllers: [AppController],
    providers: [Checks, ...(machinery ? MACHINERY : [])],
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}` };
}

// Every row has its headers: a row of two would make Jest pass its `done` callback as the third argument.
const REQUESTS: [string, string, Record<string, string>][] = [
  ['GET', `${BASE}/readiness`, {}],
  ['GET', `${BASE}/readiness?verbose`, {}],
  ['GET', `${BASE}/readiness`, { accept: 'application/health+json' }],
  ['GET', `${BASE}/readiness/database`, {}],
  ['GET', `${BASE}/readiness/cache`, {}],
  ['GET', `${BASE}/readiness/nothing`, {}],
  ['HEAD', `${BASE}/readiness`, {}],
  ['GET', `${BASE}/liveliness`, {}],
  ['GET', `${BASE}/liveness/loop`, {}],
  ['GET', `${BASE}/unknown`, {}],
  ['POST', `${BASE}/readiness`, {}],
  ['DELETE', `${BASE}/liveliness/loop`, {}],
];

describe.each(ADAPTERS)('global app machinery (%s)', (adapter) => {
  let plain: { app: INestApplication; url: string };
  let busy: { app: INestApplication; url: string };
  beforeAll(async () => {
    plain = await boot(adapter, false);
    busy = await boot(adapter, true);
  });
  afterAll(async () => {
    await plain?.app.close();
    await busy?.app.close();
  });

  it('is in force on the app’s own routes', async () => {
    const hello = await send(busy.url, 'GET', '/hello');
    expect(JSON.parse(hello.body)).toEqual({ data: 'hi' });
    const broken = await send(busy.url, 'GET', '/broken');
    expect(broken.status).toBe(418);
    expect(JSON.parse(broken.body)).toEqual({ teapot: true });
  });

  it.each(REQUESTS)('leaves %s %s byte for byte as without it', async (method, path, headers) => {
    const [expected, actual] = await Promise.all([
      send(plain.url, method, path, headers),
      send(busy.url, method, path, headers),
    ]);
    expect(actual.status).toBe(expected.status);
    expect(actual.headers['content-type']).toBe(expected.headers['content-type']);
    expect(actual.headers['cache-control']).toBe(expected.headers['cache-control']);
    expect(actual.headers.allow).toBe(expected.headers.allow);
    // application/health+json stamps each check with the time of its run.
    const untimed = (body: string) => body.replace(/"time":"[^"]*"/g, '"time":"T"');
    expect(untimed(actual.body)).toBe(untimed(expected.body));
  });

  it('answers the seed’s body, not a wrapped one', async () => {
    const res = await send(busy.url, 'GET', `${BASE}/readiness`);
    expect(res.status).toBe(500);
    const body = JSON.parse(res.body);
    expect(body.status).toBe(false);
    expect(body.checks.database).toEqual({ status: true });
    expect(body.checks.cache.status).toBe(false);
    expect(body).not.toHaveProperty('data');
  });

  it('serves environ unwrapped', async () => {
    const res = await send(busy.url, 'GET', `${BASE}/environ`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = JSON.parse(res.body);
    expect(body).not.toHaveProperty('data');
    expect(body).toHaveProperty('status');
  });
});

let healthy = true;
let counted = 0;

@Injectable()
class Switchable {
  @ReadinessProbe()
  flips() {
    return healthy;
  }
}

@Controller()
class CountingController {
  @Get('count')
  count() {
    return { count: ++counted };
  }
}

describe.each(ADAPTERS)('a global CacheInterceptor (%s)', (adapter) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('caches the app’s routes but never a probe', async () => {
    app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ logger: false, environ: false }), CacheModule.register({ ttl: 60_000 })],
      controllers: [CountingController],
      providers: [Switchable, { provide: APP_INTERCEPTOR, useClass: CacheInterceptor }],
    });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    const url = `http://127.0.0.1:${port}`;
    const first = await send(url, 'GET', '/count');
    expect(JSON.parse((await send(url, 'GET', '/count')).body)).toEqual(JSON.parse(first.body));

    healthy = true;
    expect((await send(url, 'GET', `${BASE}/readiness`)).status).toBe(200);
    healthy = false;
    const failing = await send(url, 'GET', `${BASE}/readiness`);
    expect(failing.status).toBe(500);
    expect(JSON.parse(failing.body)).toEqual({ status: false, checks: { flips: { status: false } } });
    healthy = true;
    expect((await send(url, 'GET', `${BASE}/readiness`)).status).toBe(200);
  });
});

describe('OpenAPI documents (@nestjs/swagger)', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function documentOf(heartbeat: ReturnType<typeof HeartbeatModule.forRoot>) {
    app = await createApp('express', { imports: [heartbeat], controllers: [AppController], providers: [Checks] });
    return SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('app').build());
  }

  it('leaves the probes out by default', async () => {
    const document = await documentOf(HeartbeatModule.forRoot({ logger: false, environ: { root } }));
    expect(Object.keys(document.paths)).toEqual(['/hello', '/broken']);
  });

  it('leaves them out under an empty path too', async () => {
    const document = await documentOf(HeartbeatModule.forRoot({ logger: false, environ: { root }, path: '' }));
    expect(Object.keys(document.paths)).toEqual(['/hello', '/broken']);
  });

  it('with openApi: true documents the GET routes only, never the 405 answers', async () => {
    const document = await documentOf(HeartbeatModule.forRoot({ logger: false, environ: { root }, openApi: true }));
    const probes = Object.entries(document.paths).filter(([path]) => path.startsWith(BASE));
    expect(probes.map(([path]) => path).sort()).toEqual([`${BASE}/{probe}`, `${BASE}/{probe}/{check}`]);
    for (const [, operations] of probes) expect(Object.keys(operations)).toEqual(['get']);
    for (const [, operations] of probes) expect(operations).not.toHaveProperty('post');
    expect(document.paths[`${BASE}/{probe}`].get?.summary).toMatch(/readiness, liveliness/);
  });

  it('with openApi: true and an empty path documents each probe by name', async () => {
    const document = await documentOf(
      HeartbeatModule.forRoot({ logger: false, environ: { root }, path: '', openApi: true }),
    );
    const probes = Object.keys(document.paths).filter((path) => !['/hello', '/broken'].includes(path));
    expect(probes.sort()).toEqual(
      [
        '/environ',
        '/liveliness',
        '/liveliness/{check}',
        '/liveness',
        '/liveness/{check}',
        '/readiness',
        '/readiness/{check}',
        '/startup',
        '/startup/{check}',
      ].sort(),
    );
    for (const path of probes) expect(Object.keys(document.paths[path])).toEqual(['get']);
  });

  it('rejects openApi from a forRootAsync factory, naming where it belongs', async () => {
    await expect(
      createApp('express', {
        imports: [HeartbeatModule.forRootAsync({ useFactory: () => ({ logger: false, openApi: true }) as object })],
      }),
    ).rejects.toThrow(/openApi/);
  });
});
