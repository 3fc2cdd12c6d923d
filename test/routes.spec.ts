import { Controller, Get, Injectable, type INestApplication, VersioningType } from '@nestjs/common';
import request from 'supertest';
import { HeartbeatModule, LivelinessProbe, ReadinessProbe } from '../src/index.js';
import { ADAPTERS, createApp } from './support/app.js';
import { createEnvironRoot, removeEnvironRoot } from './support/transports.js';

const BASE = '/.well-known/heartbeat';
// environ reads this generated app root, never the machine's own node_modules.
const root = createEnvironRoot();
afterAll(() => removeEnvironRoot(root));

@Injectable()
class FailingReadiness {
  @ReadinessProbe()
  database() {
    return ['database', false, { message: 'Error accessing database' }] as const;
  }

  @LivelinessProbe()
  loop() {
    return true;
  }
}

@Controller({ path: 'items', version: '1' })
class ItemsController {
  @Get()
  list() {
    return [];
  }
}

describe.each(ADAPTERS)('routes (%s)', (adapter) => {
  describe('with no handlers', () => {
    let app: INestApplication;
    beforeAll(async () => {
      app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger: false, environ: { root } })] });
    });
    afterAll(() => app.close());

    it.each(['readiness', 'liveliness', 'liveness'])('GET %s passes with no checks', async (probe) => {
      const res = await request(app.getHttpServer()).get(`${BASE}/${probe}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text).toBe('{"status":true,"checks":{}}');
    });

    it('GET environ lists libraries and the node version', async () => {
      const res = await request(app.getHttpServer()).get(`${BASE}/environ`);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.status).toBe(true);
      expect(res.body.node).toEqual(process.versions.node.split('.').map(Number));
      // The generated root's one library, not the machine's own node_modules.
      expect(res.body.libraries).toEqual({ '@nestjs/core': { version: '12.0.0', conflicts: null } });
    });

    it.each(['readiness', 'liveliness', 'liveness', 'environ'])(
      'HEAD %s answers headers without a body',
      async (probe) => {
        const res = await request(app.getHttpServer()).head(`${BASE}/${probe}`);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.text ?? '').toBe('');
      },
    );

    it.each(['post', 'put', 'patch', 'delete'] as const)('%s on a probe is 405 with Allow', async (method) => {
      const res = await request(app.getHttpServer())[method](`${BASE}/readiness`);
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD');
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.body).toEqual({ statusCode: 405, message: 'Method Not Allowed: probes answer GET and HEAD' });
    });

    it('ignores query strings', async () => {
      const res = await request(app.getHttpServer()).get(`${BASE}/readiness?foo=bar`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: true, checks: {} });
    });

    it('answers whatever Accept header the client sends', async () => {
      for (const accept of ['*/*', 'text/html', 'application/xml', 'nonsense']) {
        const res = await request(app.getHttpServer()).get(`${BASE}/readiness`).set('Accept', accept);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      }
    });

    it('answers a trailing slash as the adapter routes it (documented), a probe name only as spelled, never 500', async () => {
      const trailing = await request(app.getHttpServer()).get(`${BASE}/readiness/`);
      const upper = await request(app.getHttpServer()).get(`${BASE}/READINESS`);
      // Express matches a trailing slash by default; Fastify matches exactly. The probe's name is
      // matched by the module's route table, as on the management port: in its own letter case.
      expect(trailing.status).toBe(adapter === 'express' ? 200 : 404);
      expect(upper.status).toBe(404);
      expect(upper.body).toEqual({ statusCode: 404, message: 'Not Found' });
      for (const res of [trailing, upper]) expect(res.headers['content-type']).toMatch(/^application\/json/);
    });

    it('answers oversized headers with 431 before the module is reached', async () => {
      await app.listen(0, '127.0.0.1');
      const res = await fetch(`${await app.getUrl()}${BASE}/readiness`, { headers: { 'x-large': 'a'.repeat(20_000) } });
      expect(res.status).toBe(431);
    });

    it("answers an unknown probe with the module's 404, as the management port does, not 500", async () => {
      const res = await request(app.getHttpServer()).get(`${BASE}/nonsense`);
      expect(res.status).toBe(404);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({ statusCode: 404, message: 'Not Found' });
    });
  });

  describe('with a failing readiness check', () => {
    it('answers 500 by default, the seed says', async () => {
      const app = await createApp(adapter, {
        imports: [HeartbeatModule.forRoot({ logger: false, environ: { root } })],
        providers: [FailingReadiness],
      });
      const res = await request(app.getHttpServer()).get(`${BASE}/readiness`);
      expect(res.status).toBe(500);
      expect(res.body).toEqual({
        status: false,
        checks: { database: { status: false, message: 'Error accessing database' } },
      });
      const live = await request(app.getHttpServer()).get(`${BASE}/liveliness`);
      expect(live.status).toBe(200);
      expect(live.body).toEqual({ status: true, checks: { loop: { status: true } } });
      await app.close();
    });

    it('answers failureStatusCode when set', async () => {
      const app = await createApp(adapter, {
        imports: [HeartbeatModule.forRoot({ failureStatusCode: 503, logger: false, environ: { root } })],
        providers: [FailingReadiness],
      });
      const res = await request(app.getHttpServer()).get(`${BASE}/readiness`);
      expect(res.status).toBe(503);
      expect(res.body.status).toBe(false);
      const head = await request(app.getHttpServer()).head(`${BASE}/readiness`);
      expect(head.status).toBe(503);
      await app.close();
    });
  });

  it('serves under a custom path', async () => {
    const app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ path: 'health', logger: false, environ: { root } })],
    });
    expect((await request(app.getHttpServer()).get('/health/readiness')).status).toBe(200);
    expect((await request(app.getHttpServer()).get(`${BASE}/readiness`)).status).toBe(404);
    await app.close();
  });

  it('is version-neutral under URI versioning', async () => {
    const app = await createApp(
      adapter,
      { imports: [HeartbeatModule.forRoot({ logger: false, environ: { root } })], controllers: [ItemsController] },
      (nest) => nest.enableVersioning({ type: VersioningType.URI }),
    );
    expect((await request(app.getHttpServer()).get('/v1/items')).status).toBe(200);
    expect((await request(app.getHttpServer()).get(`${BASE}/readiness`)).status).toBe(200);
    await app.close();
  });

  it('stays outside a global prefix when excluded as the README shows', async () => {
    const app = await createApp(
      adapter,
      { imports: [HeartbeatModule.forRoot({ logger: false, environ: { root } })], controllers: [ItemsController] },
      (nest) => nest.setGlobalPrefix('api', { exclude: ['.well-known/heartbeat/{*path}'] }),
    );
    expect((await request(app.getHttpServer()).get('/api/items')).status).toBe(200);
    expect((await request(app.getHttpServer()).get(`${BASE}/readiness`)).status).toBe(200);
    expect((await request(app.getHttpServer()).get(`${BASE}/environ`)).status).toBe(200);
    await app.close();
  });

  it('rejects a failureStatusCode the kubelet would count as success', async () => {
    await expect(
      createApp(adapter, { imports: [HeartbeatModule.forRoot({ failureStatusCode: 204 })] }),
    ).rejects.toThrow('option "failureStatusCode" must be an integer from 400 to 599 (got 204)');
  });
});
