import { Controller, Get, Injectable, Module, Param, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { ReadinessProbe } from '../src/index.js';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { createApp } from './support/app.js';
import { HeartbeatModule } from '../src/index.js';
import { type Answer, createEnvironRoot, removeEnvironRoot, send, serve, TRANSPORTS } from './support/transports.js';

const BASE = '/.well-known/heartbeat';
const NOT_FOUND = { statusCode: 404, message: 'Not Found' };
const NOT_ALLOWED = { statusCode: 405, message: 'Method Not Allowed: probes answer GET and HEAD' };

const root = createEnvironRoot();
afterAll(() => removeEnvironRoot(root));

@Injectable()
class Database {
  @ReadinessProbe()
  database() {
    return true;
  }
}

/** A module's own error answer: JSON, never cached, `{statusCode, message}`. */
function expectModuleError(res: Answer, status: number, body: object): void {
  expect({ status: res.status, body: JSON.parse(res.body) as object }).toEqual({ status, body });
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(res.headers['cache-control']).toBe('no-store');
}

describe.each(TRANSPORTS)('routes at the edges (%s)', (transport) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it.each(['OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND', 'SEARCH'])(
    '%s on every probe route, one check included, is 405 with Allow: GET, HEAD',
    async (method) => {
      const served = await serve(transport, { environ: { root } }, { providers: [Database] });
      app = served.app;
      for (const path of ['readiness', 'liveliness', 'liveness', 'startup', 'environ', 'readiness/database']) {
        const res = await send(served.url, method, `${BASE}/${path}`);
        expect({ path, allow: res.headers.allow }).toEqual({ path, allow: 'GET, HEAD' });
        expectModuleError(res, 405, NOT_ALLOWED);
      }
    },
  );

  it('answers GET and HEAD on every route beside the 405s', async () => {
    const served = await serve(transport, { environ: { root } }, { providers: [Database] });
    app = served.app;
    for (const path of ['readiness', 'liveliness', 'liveness', 'startup', 'environ', 'readiness/database']) {
      const get = await send(served.url, 'GET', `${BASE}/${path}`);
      expect({ path, status: get.status, type: get.headers['content-type'] }).toEqual({
        path,
        status: 200,
        type: 'application/json; charset=utf-8',
      });
      const head = await send(served.url, 'HEAD', `${BASE}/${path}`);
      expect({ path, status: head.status, body: head.body }).toEqual({ path, status: 200, body: '' });
    }
    expect(JSON.parse((await send(served.url, 'GET', `${BASE}/liveness/database`)).body)).toEqual(NOT_FOUND_CHECK);
  });

  it.each(['GET', 'HEAD', 'POST', 'OPTIONS'])(
    '%s on an unknown path under the prefix is the module 404, not cached',
    async (method) => {
      const served = await serve(transport, { environ: { root } }, { providers: [Database] });
      app = served.app;
      for (const path of ['nonsense', 'nonsense/x', 'environ/libraries']) {
        const res = await send(served.url, method, `${BASE}/${path}`);
        if (method === 'HEAD') {
          expect({ path, status: res.status, cache: res.headers['cache-control'] }).toEqual({
            path,
            status: 404,
            cache: 'no-store',
          });
        } else {
          expectModuleError(res, 404, NOT_FOUND);
        }
      }
    },
  );

  it('answers a path that is not valid percent-encoding with a JSON 400, never a 500 or a page', async () => {
    const served = await serve(transport, { environ: { root } }, { providers: [Database] });
    app = served.app;
    for (const path of ['readiness/%ZZ', 'readiness/%E0%A4%A', '%ZZ']) {
      const res = await send(served.url, 'GET', `${BASE}/${path}`);
      expect({ path, status: res.status, type: res.headers['content-type'] }).toEqual({
        path,
        status: 400,
        type: expect.stringMatching(/^application\/json/),
      });
      expect(JSON.parse(res.body)).toMatchObject({ statusCode: 400 });
    }
  });

  it('answers an unknown check name with the same 404 shape, not cached', async () => {
    const served = await serve(transport, { environ: { root } }, { providers: [Database] });
    app = served.app;
    expectModuleError(await send(served.url, 'GET', `${BASE}/readiness/nope`), 404, {
      statusCode: 404,
      message: 'No readiness check named "nope"',
    });
  });

  it('answers environ with the module 404 when it is disabled, for every method', async () => {
    const served = await serve(transport, { environ: false });
    app = served.app;
    for (const method of ['GET', 'POST']) {
      expectModuleError(await send(served.url, method, `${BASE}/environ`), 404, NOT_FOUND);
    }
    expect((await send(served.url, 'GET', `${BASE}/readiness`)).status).toBe(200);
  });
});

const NOT_FOUND_CHECK = { statusCode: 404, message: 'No liveliness check named "database"' };

@Controller('items')
class ItemsController {
  @Get()
  list() {
    return ['listed'];
  }

  @Post()
  create() {
    return 'created';
  }

  @Get(':id')
  one(@Param('id') id: string) {
    return { id };
  }

  @Get(':id/:part')
  part(@Param('id') id: string, @Param('part') part: string) {
    return { id, part };
  }
}

@Module({ controllers: [ItemsController] })
class ItemsModule {}

describe.each(['express', 'fastify'] as const)('an empty path (%s)', (adapter) => {
  let app: INestApplication | undefined;
  afterEach(() => app?.close());

  it("serves the probes at the root without claiming the app's other routes or methods", async () => {
    // The app's routes are registered after the module's, where Express lets the first match win.
    app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ path: '', logger: false }), ItemsModule],
    });
    await app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    expect((await send(url, 'GET', '/readiness')).status).toBe(200);
    expect((await send(url, 'GET', '/readiness/nope')).status).toBe(404);
    const created = await send(url, 'POST', '/items');
    expect({ status: created.status, body: created.body }).toEqual({ status: 201, body: 'created' });
    expect(JSON.parse((await send(url, 'GET', '/items/7/name')).body)).toEqual({ id: '7', part: 'name' });
    expect(JSON.parse((await send(url, 'GET', '/items')).body)).toEqual(['listed']);
  });
});

describe.each(['express', 'fastify'] as const)("Nest's route conflict policy (%s)", (adapter) => {
  it.each(['.well-known/heartbeat', ''])('finds no overlapping routes of the module under path %j', async (path) => {
    const moduleRef = await Test.createTestingModule({
      imports: [HeartbeatModule.forRoot({ path, logger: false, environ: { root } })],
    }).compile();
    const options = { logger: false as const, routeConflictPolicy: { duplicate: 'error', shadow: 'error' } as const };
    const app =
      adapter === 'express'
        ? moduleRef.createNestApplication(options)
        : moduleRef.createNestApplication(new FastifyAdapter(), options);
    await app.init();
    await app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    const prefix = path ? `/${path}` : '';
    expect((await send(url, 'GET', `${prefix}/readiness`)).status).toBe(200);
    await app.close();
  });
});
