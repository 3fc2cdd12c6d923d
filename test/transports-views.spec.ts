import { Injectable, type INestApplication } from '@nestjs/common';
import { ReadinessProbe } from '../src/index.js';
import { createEnvironRoot, removeEnvironRoot, send, serve, TRANSPORTS } from './support/transports.js';

const BASE = '/.well-known/heartbeat';
const root = createEnvironRoot();
afterAll(() => removeEnvironRoot(root));

@Injectable()
class Checks {
  @ReadinessProbe()
  database() {
    return true;
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const HEALTH_TYPE = 'application/health+json; charset=utf-8';

describe.each(TRANSPORTS)('views read from the request (%s)', (transport) => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    ({ app, url } = await serve(transport, { environ: { root } }, { providers: [Checks] }));
  });
  afterAll(() => app.close());

  it.each([
    ['?verbose', TEXT_TYPE],
    ['?verbose=', TEXT_TYPE],
    ['?verbose=1', TEXT_TYPE],
    ['?verbose=true', TEXT_TYPE],
    ['?verbose=false', JSON_TYPE],
    ['?verbose=0', JSON_TYPE],
    ['?verbose=FALSE', JSON_TYPE],
  ])('%s answers %s', async (query, type) => {
    const res = await send(url, 'GET', `${BASE}/readiness${query}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    if (type === JSON_TYPE)
      expect(JSON.parse(res.body)).toEqual({ status: true, checks: { database: { status: true } } });
    else expect(res.body).toBe('[+]database ok\nreadiness check passed\n');
  });

  it.each([
    ['application/health+json;q=0', JSON_TYPE],
    ['application/health+json;q=0, text/plain;q=0', JSON_TYPE],
    ['text/plain;q=0.5, application/json', JSON_TYPE],
    ['application/json, text/plain', JSON_TYPE],
    ['text/plain, application/json;q=0.9', TEXT_TYPE],
    ['text/*', TEXT_TYPE],
    ['application/health+json', HEALTH_TYPE],
    ['application/json;q=0.1, application/health+json', HEALTH_TYPE],
    ['*/*', JSON_TYPE],
    ['text/html', JSON_TYPE],
  ])('Accept: %s answers %s', async (accept, type) => {
    const res = await send(url, 'GET', `${BASE}/readiness`, { accept });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
  });

  it('answers the seed JSON without an Accept header', async () => {
    const res = await send(url, 'GET', `${BASE}/readiness`);
    expect(res.headers['content-type']).toBe(JSON_TYPE);
    expect(res.body).toBe('{"status":true,"checks":{"database":{"status":true}}}');
  });

  it('caps the ?exclude= names it echoes, in count and in length', async () => {
    const long = 'x'.repeat(4000);
    const names = [long, ...Array.from({ length: 60 }, (_, i) => `ghost${i}`)];
    const query = names.map((name) => `exclude=${name}`).join('&');
    const res = await send(url, 'GET', `${BASE}/readiness?${query}`);
    expect(res.status).toBe(200);
    const { unknownExcludes } = JSON.parse(res.body) as { unknownExcludes: string[] };
    expect(unknownExcludes).toHaveLength(32);
    expect(unknownExcludes[0]).toBe(`${'x'.repeat(200 - '… [truncated]'.length)}… [truncated]`);
    expect(unknownExcludes.slice(1)).toEqual(names.slice(1, 32));
    expect(res.body.length).toBeLessThan(1000);
  });

  it('caps the unknown check name it echoes in the 404', async () => {
    const res = await send(url, 'GET', `${BASE}/readiness/${'n'.repeat(5000)}`);
    if (transport === 'fastify') {
      // Fastify refuses a route parameter over its maxParamLength (100) before the module is reached
      // (and its own 414 echoes the URL: that answer is Fastify's, see its maxParamLength option).
      expect(res.status).toBe(414);
      return;
    }
    expect(res.body.length).toBeLessThan(400);
    expect(res.status).toBe(404);
    expect(res.headers['cache-control']).toBe('no-store');
    const { message } = JSON.parse(res.body) as { message: string };
    expect(message).toBe(`No readiness check named "${'n'.repeat(200 - '… [truncated]'.length)}… [truncated]"`);
  });

  it('escapes what it echoes: control characters and quotes stay inside the JSON string', async () => {
    const res = await send(url, 'GET', `${BASE}/readiness?exclude=${encodeURIComponent('a"\n}{<b>')}`);
    expect(JSON.parse(res.body)).toMatchObject({ unknownExcludes: ['a"\n}{<b>'] });
    expect(res.body).not.toContain('\n');
  });
});
