import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { HeartbeatManagementServer, HeartbeatModule, memoryCheck, ProbeRegistry } from '../src/index.js';
import { parseView } from '../src/probe/probe-view.js';
import { ADAPTERS, createApp } from './support/app.js';
import { createEnvironRoot, removeEnvironRoot } from './support/transports.js';

const BASE = '/.well-known/heartbeat';
const root = createEnvironRoot();
afterAll(() => removeEnvironRoot(root));

describe.each(ADAPTERS)('probe views (%s)', (adapter) => {
  let app: INestApplication;
  const calls: Record<string, number> = {};
  const get = (path: string) => request(app.getHttpServer()).get(path);

  beforeAll(async () => {
    app = await createApp(adapter, {
      imports: [
        HeartbeatModule.forRoot({
          logger: false,
          environ: { root },
          port: 0,
          serveOn: 'both',
          checks: { readiness: [memoryCheck({ heapUsedMaxBytes: 2 ** 40 })] },
        }),
      ],
    });
    const registry = app.get(ProbeRegistry);
    const count = (name: string) => () => void (calls[name] = (calls[name] ?? 0) + 1);
    registry.register('readiness', () => (count('database')(), true), { name: 'database' });
    registry.register('readiness', () => (count('cache')(), ['cache', false, { message: 'redis refused' }]), {
      name: 'cache',
    });
    registry.register('readiness', () => (count('search')(), false), { name: 'search', critical: false });
  });
  afterAll(() => app.close());

  it('answers one check alone under <probe>/<name>, same shape, and 404 for an unknown name', async () => {
    const one = await get(`${BASE}/readiness/database`);
    expect(one.status).toBe(200);
    expect(one.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(one.body).toEqual({ status: true, checks: { database: { status: true } } });
    const failing = await get(`${BASE}/readiness/cache`);
    expect(failing.status).toBe(500);
    expect(failing.body).toEqual({ status: false, checks: { cache: { status: false, message: 'redis refused' } } });
    const missing = await get(`${BASE}/readiness/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/json/);
    expect(missing.body).toEqual({ statusCode: 404, message: 'No readiness check named "nope"' });
    expect((await get(`${BASE}/liveness/nope`)).status).toBe(404);
    expect((await get(`${BASE}/environ/libraries`)).status).toBe(404);
  });

  it('skips excluded checks for the request and reports unknown names', async () => {
    const before = { ...calls };
    const res = await get(`${BASE}/readiness?exclude=cache&exclude=ghost`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.checks)).toEqual(['memory', 'database', 'search']);
    expect(res.body.unknownExcludes).toEqual(['ghost']);
    expect(calls.cache).toBe(before.cache);
    expect(calls.database).toBe(before.database + 1);
  });

  it('answers the API server text form for ?verbose and Accept: text/plain', async () => {
    const expected = [
      '[+]memory ok',
      '[+]database ok',
      '[-]cache failed: redis refused',
      // It returned `false`: there is no reason to show, nor one withheld.
      '[-]search failed (non-critical)',
      'readiness check failed',
      '',
    ].join('\n');
    const verbose = await get(`${BASE}/readiness?verbose`);
    expect(verbose.status).toBe(500);
    expect(verbose.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(verbose.text).toBe(expected);
    const plain = await get(`${BASE}/readiness`).set('Accept', 'text/plain');
    expect(plain.text).toBe(expected);
    const one = await get(`${BASE}/readiness/database?verbose`);
    expect(one.status).toBe(200);
    expect(one.text).toBe('[+]database ok\nreadiness check passed\n');
  });

  it('answers application/health+json when asked, with warn for non-critical checks', async () => {
    const res = await get(`${BASE}/readiness`).set('Accept', 'application/health+json');
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe('application/health+json; charset=utf-8');
    const body = JSON.parse(res.text);
    expect(body.status).toBe('fail');
    expect(body.checks.memory).toEqual([
      {
        componentId: 'memory',
        componentType: 'system',
        observedValue: expect.any(Number),
        observedUnit: 'bytes',
        status: 'pass',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ]);
    expect(body.checks.cache).toEqual([
      {
        componentId: 'cache',
        componentType: 'component',
        status: 'fail',
        time: expect.any(String),
        output: 'redis refused',
      },
    ]);
    expect(body.checks.search[0]).toMatchObject({ status: 'warn' });
    expect(body.checks.search[0]).not.toHaveProperty('output');
    const warnOnly = JSON.parse(
      (await get(`${BASE}/readiness?exclude=cache`).set('Accept', 'application/health+json')).text,
    );
    expect(warnOnly.status).toBe('warn');
  });

  it('keeps the seed JSON the default, also for the kubelet Accept: */*', async () => {
    const res = await get(`${BASE}/readiness`).set('Accept', '*/*');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body.checks.search).toEqual({ status: false, critical: false });
  });

  it('serves the same views on the management port', async () => {
    const { port } = app.get(HeartbeatManagementServer).address()!;
    const url = `http://127.0.0.1:${port}${BASE}`;
    const text = await fetch(`${url}/readiness?verbose&exclude=cache`);
    expect(text.status).toBe(200);
    expect(await text.text()).toBe((await get(`${BASE}/readiness?verbose&exclude=cache`)).text);
    const one = await fetch(`${url}/readiness/database`);
    expect(await one.json()).toEqual({ status: true, checks: { database: { status: true } } });
    expect((await fetch(`${url}/readiness/nope`)).status).toBe(404);
    const health = await fetch(`${url}/liveliness`, { headers: { accept: 'application/health+json' } });
    expect(health.headers.get('content-type')).toBe('application/health+json; charset=utf-8');
    expect(await health.json()).toEqual({ status: 'pass', checks: {} });
  });
});

describe('parseView', () => {
  it('gives the kubelet (Accept: */* or none, no query) one shared view, allocating nothing', () => {
    const kubelet = parseView(undefined, '*/*');
    expect(kubelet).toEqual({ format: 'json' });
    expect(parseView(undefined, undefined)).toBe(kubelet);
    expect(parseView({}, '*/*')).toBe(kubelet);
    expect(parseView(new URLSearchParams(''), '*/*')).toBe(kubelet);
    expect(parseView(undefined, 'application/json')).toBe(kubelet);
  });

  it('never keeps a megabyte ?exclude= name, nor more than 32 names', () => {
    const huge = 'a'.repeat(1 << 20);
    const many = Array.from({ length: 10_000 }, (_, i) => `n${i}`);
    for (const query of [
      { exclude: [huge, ...many] },
      new URLSearchParams([huge, ...many].map((name): [string, string] => ['exclude', name])),
    ]) {
      const { exclude } = parseView(query, '*/*');
      expect(exclude).toHaveLength(32);
      expect(exclude![0]).toHaveLength(200);
      expect(exclude![0].endsWith('… [truncated]')).toBe(true);
      expect(exclude!.slice(1)).toEqual(many.slice(0, 31));
    }
  });

  it('reads each ?exclude= name once and ignores values that are not names', () => {
    expect(parseView({ exclude: ['db', 'db', '', { nested: 'x' }, 'cache'] }, undefined)).toEqual({
      format: 'json',
      exclude: ['db', 'cache'],
    });
  });

  it('takes the last ?verbose= given, and reads only false and 0 as not verbose', () => {
    expect(parseView({ verbose: ['1', '0'] }, undefined).format).toBe('json');
    expect(parseView({ verbose: ['0', ''] }, undefined).format).toBe('text');
    expect(parseView(new URLSearchParams('verbose=no'), undefined).format).toBe('text');
    expect(parseView(new URLSearchParams('verbose=%200%20'), undefined).format).toBe('json');
  });

  it('keeps health+json over ?verbose when the Accept header negotiated it', () => {
    expect(parseView({ verbose: '' }, 'application/health+json').format).toBe('health+json');
    expect(parseView({ verbose: '' }, 'application/json').format).toBe('text');
  });
});
