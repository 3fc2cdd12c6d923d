import { type CanActivate, type INestApplication, Injectable, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  HeartbeatGrpcServer,
  HeartbeatManagementServer,
  HeartbeatModule,
  type HeartbeatModuleOptions,
  ReadinessProbe,
} from '../src/index.js';
import { createApp } from './support/app.js';
import { gate } from './support/gate.js';
import { RecordingLogger } from './support/logger.js';
import { createThreadApp } from './support/thread.js';
import {
  type Answer,
  createEnvironRoot,
  removeEnvironRoot,
  send,
  serve,
  type Served,
  TRANSPORTS,
} from './support/transports.js';

const BASE = '/.well-known/heartbeat';
const root = createEnvironRoot();
afterAll(() => removeEnvironRoot(root));

let served: Served | undefined;
afterEach(async () => {
  await served?.app.close();
  served = undefined;
});

/** Boots `transport` and keeps it for `afterEach` to close. */
async function boot(...args: Parameters<typeof serve>): Promise<Served> {
  served = await serve(...args);
  return served;
}

/** A module's own error answer: JSON, never cached, `{statusCode, message}`. */
function expectModuleError(res: Answer, status: number, message: string | RegExp): void {
  expect({ status: res.status, type: res.headers['content-type'], cache: res.headers['cache-control'] }).toEqual({
    status,
    type: 'application/json; charset=utf-8',
    cache: 'no-store',
  });
  expect(JSON.parse(res.body)).toEqual({ statusCode: status, message: expect.stringMatching(message) });
}

describe('environ in production (NODE_ENV=production)', () => {
  const before = process.env.NODE_ENV;
  beforeEach(() => (process.env.NODE_ENV = 'production'));
  afterEach(() => {
    if (before === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = before;
  });

  it.each(['express', 'fastify'] as const)(
    'is a JSON 404 on the app port (%s) by default, for every method, and the log says once how to serve it',
    async (transport) => {
      const logger = new RecordingLogger();
      const { url } = await boot(transport, { environ: { root }, logger });
      for (const method of ['GET', 'POST', 'TRACE']) {
        expectModuleError(await send(url, method, `${BASE}/environ`), 404, /^Not Found$/);
      }
      const head = await send(url, 'HEAD', `${BASE}/environ`);
      expect({ status: head.status, body: head.body }).toEqual({ status: 404, body: '' });
      expect((await send(url, 'GET', `${BASE}/readiness`)).status).toBe(200);
      const hints = logger.messages().filter((line) => line.includes('environ'));
      expect(hints).toEqual([expect.stringContaining('with NODE_ENV=production it answers 404 there')]);
      expect(hints[0]).toContain('environ: { public: true }');
    },
  );

  it('is served on the management port (always allowed there), with no hint in the log', async () => {
    const logger = new RecordingLogger();
    const { url } = await boot('port', { environ: { root }, logger });
    const res = await send(url, 'GET', `${BASE}/environ`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ libraries: { '@nestjs/core': { version: '12.0.0' } } });
    expect(logger.messages().filter((line) => line.includes('environ ('))).toEqual([]);
  });

  it.each(TRANSPORTS)('is served on %s with environ: { public: true }', async (transport) => {
    const logger = new RecordingLogger();
    const { url } = await boot(transport, { environ: { root, public: true }, logger });
    expect((await send(url, 'GET', `${BASE}/environ`)).status).toBe(200);
    expect(logger.messages().filter((line) => line.includes('environ ('))).toEqual([]);
  });

  @Injectable()
  class AllowAll implements CanActivate {
    canActivate() {
      return true;
    }
  }

  it.each(['express', 'fastify'] as const)(
    'is served on the app port (%s) when routeDecorators guard it',
    async (transport) => {
      const options = { environ: { root }, routeDecorators: [UseGuards(AllowAll)] } as HeartbeatModuleOptions;
      const { url } = await boot(transport, options, { providers: [AllowAll] });
      expect((await send(url, 'GET', `${BASE}/environ`)).status).toBe(200);
    },
  );

  it('fails the bootstrap on an environ.public that is not a boolean, naming the option', async () => {
    const options = { environ: { root, public: 'yes' } } as unknown as HeartbeatModuleOptions;
    await expect(serve('express', options)).rejects.toThrow(/environ\.public/);
  });
});

describe('environ in development', () => {
  it.each(TRANSPORTS)(
    'stays served on %s as the seed serves it, and environ.public: false hides it on the app',
    async (transport) => {
      expect(process.env.NODE_ENV).not.toBe('production');
      const { url } = await boot(transport, { environ: { root } });
      expect((await send(url, 'GET', `${BASE}/environ`)).status).toBe(200);
      await served!.app.close();
      const hidden = await boot(transport, { environ: { root, public: false } });
      expect((await send(hidden.url, 'GET', `${BASE}/environ`)).status).toBe(transport === 'port' ? 200 : 404);
    },
  );
});

describe.each(TRANSPORTS)('methods other than GET and HEAD (%s)', (transport) => {
  @Injectable()
  class Database {
    @ReadinessProbe()
    database() {
      return true;
    }
  }

  it.each(['TRACE', 'QUERY', 'PURGE', 'ACL', 'M-SEARCH', 'REPORT'])(
    '%s on every probe route is 405 with Allow: GET, HEAD and a JSON body',
    async (method) => {
      const { url } = await boot(transport, { environ: { root } }, { providers: [Database] });
      for (const path of [
        'readiness',
        'liveliness',
        'liveness',
        'startup',
        'environ',
        'readiness/database',
        'readiness/nope',
      ]) {
        const res = await send(url, method, `${BASE}/${path}`);
        expect({ path, allow: res.headers.allow }).toEqual({ path, allow: 'GET, HEAD' });
        expectModuleError(res, 405, 'Method Not Allowed: probes answer GET and HEAD');
      }
      expectModuleError(await send(url, method, `${BASE}/nonsense`), 404, 'Not Found');
    },
  );
});

describe.each(['express', 'fastify'] as const)('methods under a global prefix (%s)', (adapter) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it.each([
    ['excluded from it', `${BASE}/readiness`, { exclude: ['.well-known/heartbeat/{*path}'] }],
    ['under it', `/api${BASE}/readiness`, {}],
  ])('TRACE is 405 with the probes %s', async (_, path, prefixOptions) => {
    app = await createApp(
      adapter,
      { imports: [HeartbeatModule.forRoot({ logger: false, environ: false })] },
      (created) => created.setGlobalPrefix('api', prefixOptions),
    );
    await app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    expect((await send(url, 'GET', path)).status).toBe(200);
    const res = await send(url, 'TRACE', path);
    expect({ status: res.status, allow: res.headers.allow }).toEqual({ status: 405, allow: 'GET, HEAD' });
  });
});

describe.each(TRANSPORTS)('an unknown check name (%s)', (transport) => {
  it('is a 404 at once, without running any check, while another check hangs', async () => {
    const held = gate();
    let calls = 0;
    @Injectable()
    class Hanging {
      @ReadinessProbe({ timeoutMs: 2_000 })
      hung() {
        calls++;
        return held.promise;
      }
    }
    const { url } = await boot(transport, { environ: false }, { providers: [Hanging] });
    try {
      for (const probe of ['readiness', 'liveliness', 'startup']) {
        expectModuleError(await send(url, 'GET', `${BASE}/${probe}/nope`), 404, `No ${probe} check named "nope"`);
      }
      expect(calls).toBe(0);
    } finally {
      held.resolve(true);
    }
  });

  it('finds a name that only a result gives once a check has reported it (before that it is unknown)', async () => {
    @Injectable()
    class Renamed {
      @ReadinessProbe()
      registered() {
        return ['given', true, { a: 1 }];
      }
    }
    const { url } = await boot(transport, { environ: false }, { providers: [Renamed] });
    expect(await send(url, 'GET', `${BASE}/readiness/given`)).toMatchObject({ status: 404 });
    // Any view of the probe runs the check; the seed's JSON is not needed.
    expect((await send(url, 'GET', `${BASE}/readiness?verbose`)).body).toBe('[+]given ok\nreadiness check passed\n');
    const one = await send(url, 'GET', `${BASE}/readiness/given`);
    expect({ status: one.status, body: JSON.parse(one.body) as object }).toEqual({
      status: 200,
      body: { status: true, checks: { given: { status: true, a: 1 } } },
    });
  });
});

describe('where the probes are served (bootstrap log)', () => {
  it('logs the management port address actually bound, once, and that the app port does not serve the probes', async () => {
    const logger = new RecordingLogger();
    const { app } = await boot('port', { environ: false, logger });
    const { port } = app.get(HeartbeatManagementServer).address()!;
    const lines = logger.messages('log').filter((line) => line.includes('management port'));
    expect(lines).toEqual([
      `Probes served on the management port at http://127.0.0.1:${port}${BASE}/ only: the app's own port does not serve them (serveOn: 'both' serves them there too)`,
    ]);
  });

  it.each(['express', 'fastify'] as const)('says so with serveOn: both on %s', async (adapter) => {
    const logger = new RecordingLogger();
    const app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ environ: false, logger, port: 0, serveOn: 'both' })],
    });
    try {
      const { port } = app.get(HeartbeatManagementServer).address()!;
      expect(logger.messages('log').filter((line) => line.includes('management port'))).toEqual([
        `Probes served on the management port at http://127.0.0.1:${port}${BASE}/ and on the app's own port (serveOn: 'both'; environ on the management port only)`,
      ]);
    } finally {
      await app.close();
    }
  });

  it('logs the worker thread port actually bound, once (thread: true)', async () => {
    const logger = new RecordingLogger();
    const app = await createThreadApp({
      imports: [HeartbeatModule.forRoot({ environ: false, logger, port: 0, thread: true })],
    });
    try {
      const { port } = app.get(HeartbeatManagementServer).address()!;
      expect(logger.messages('log').filter((line) => line.includes('management port'))).toEqual([
        expect.stringMatching(new RegExp(`^Probes served on the management port at http://127\\.0\\.0\\.1:${port}/`)),
      ]);
    } finally {
      await app.close();
    }
  });

  it('boots and serves the management port with a logger that throws', async () => {
    const logger = new RecordingLogger();
    logger.log = () => {
      throw new Error('logger down');
    };
    const { url } = await boot('port', { environ: false, logger });
    expect((await send(url, 'GET', `${BASE}/readiness`)).status).toBe(200);
  });

  it('logs nothing of a management port without one', async () => {
    const logger = new RecordingLogger();
    await boot('express', { environ: false, logger });
    expect(logger.messages().filter((line) => line.includes('port'))).toEqual([]);
  });

  it('logs the gRPC port actually bound, once', async () => {
    const logger = new RecordingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [HeartbeatModule.forRoot({ logger, environ: false, grpcPort: 0 })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const { port } = app.get(HeartbeatGrpcServer).address()!;
      expect(port).toBeGreaterThan(0);
      expect(logger.messages('log').filter((line) => line.includes('gRPC'))).toEqual([
        `gRPC health service (grpc.health.v1.Health) listening on 127.0.0.1:${port}`,
      ]);
    } finally {
      await app.close();
    }
  });
});
