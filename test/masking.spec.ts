import { type INestApplication, Injectable } from '@nestjs/common';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { Registry } from 'prom-client';
import { HeartbeatManagementServer, HeartbeatService, ProbeRegistry, ReadinessProbe } from '../src/index.js';
import { RecordingLogger } from './support/logger.js';
import { send, serve, TRANSPORTS } from './support/transports.js';

const BASE = '/.well-known/heartbeat';
/** Every secret the checks below return; none may appear in any byte the module lets out. */
const SECRETS = [
  'longtokenpw',
  'hook-5c5c',
  'hunter2',
  'redispw',
  'tok-3f9a',
  'tok-77b1',
  'sig-e1e1',
  'attemptpw',
  'tuplepw',
];

@Injectable()
class LeakyChecks {
  constructor(private readonly health: HealthIndicatorService) {}

  @ReadinessProbe('pg')
  pg() {
    return { status: false, message: 'cannot reach postgres://app:hunter2@db/x' };
  }

  @ReadinessProbe('webhook')
  webhook() {
    return { status: false, message: 'POST https://hooks.example.com/in?token=hook-5c5c answered 401' };
  }

  @ReadinessProbe('cache')
  cache() {
    return { status: true, url: 'redis://:redispw@cache' };
  }

  @ReadinessProbe('api')
  api() {
    return {
      status: true,
      endpoint: 'https://api.example.com/v1?token=tok-3f9a&page=2',
      notes: ['retried with access_token=tok-77b1'],
      'https://files/o?X-Amz-Signature=sig-e1e1': 'signed',
    };
  }

  /** A migrated terminus indicator: `attempt()` turns the throw into a `down` result carrying the error's text. */
  @ReadinessProbe('migrated')
  migrated() {
    return this.health.check('orders_db').attempt(() => {
      throw new Error('connect ECONNREFUSED postgres://orders:attemptpw@10.0.0.9/orders');
    });
  }

  /** An invalid result is described with its first 40 characters: a long password must not show its start. */
  @ReadinessProbe('described')
  described() {
    return `redis://:${'longtokenpw'.repeat(10)}@cache:6379/0`;
  }

  @ReadinessProbe()
  tuple() {
    return ['mysql://root:tuplepw@db', false, { message: 'down' }];
  }
}

function expectMasked(body: string): void {
  for (const secret of SECRETS) expect(body).not.toContain(secret);
}

describe.each(TRANSPORTS)('secrets a check returns are masked in every view (%s)', (transport) => {
  let app: INestApplication;
  let url: string;
  const logger = new RecordingLogger();
  beforeAll(async () => {
    ({ app, url } = await serve(
      transport,
      { environ: false, logger },
      { imports: [TerminusModule], providers: [LeakyChecks] },
    ));
  });
  afterAll(() => app.close());

  it('in the seed JSON', async () => {
    const res = await send(url, 'GET', `${BASE}/readiness`);
    expect(res.status).toBe(500);
    expectMasked(res.body);
    const { checks } = JSON.parse(res.body) as { checks: Record<string, Record<string, unknown>> };
    expect(checks.pg).toEqual({ status: false, message: 'cannot reach postgres://app:***@db/x' });
    expect(checks.cache).toEqual({ status: true, url: 'redis://:***@cache' });
    expect(checks.api).toEqual({
      status: true,
      endpoint: 'https://api.example.com/v1?token=***&page=2',
      notes: ['retried with access_token=***'],
      'https://files/o?X-Amz-Signature=***': 'signed',
    });
    expect(checks.orders_db).toEqual({
      status: false,
      message: 'connect ECONNREFUSED postgres://orders:***@10.0.0.9/orders',
      responseTime: expect.any(Number),
    });
    expect(checks['mysql://root:***@db']).toEqual({ status: false, message: 'down' });
  });

  it.each([
    ['terminus', '?format=terminus'],
    ['text', '?verbose'],
    ['health+json', '?format=health+json'],
    ['json with a query', '?format=json&exclude=nothing'],
  ])('in the %s view', async (_view, query) => {
    const res = await send(url, 'GET', `${BASE}/readiness${query}`);
    expect(res.status).toBeGreaterThanOrEqual(500);
    expectMasked(res.body);
    expect(res.body).toContain('postgres://app:***@db/x');
    expect(res.body).toContain('https://hooks.example.com/in?token=*** answered 401');
  });

  it.each(['pg', 'webhook', 'cache', 'api', 'orders_db', 'migrated'])(
    'on the one-check route (%s), in every format',
    async (name) => {
      for (const query of ['', '?format=terminus', '?verbose', '?format=health+json']) {
        const res = await send(url, 'GET', `${BASE}/readiness/${name}${query}`);
        expect([200, 500, 503]).toContain(res.status);
        expectMasked(res.body);
      }
    },
  );

  it('in the log', async () => {
    await send(url, 'GET', `${BASE}/readiness`);
    const lines = logger.messages().join('\n');
    expect(lines).toContain('postgres://app:***@db/x');
    expect(lines).toContain('https://hooks.example.com/in?token=*** answered 401');
    expectMasked(lines);
  });
});

describe.each(TRANSPORTS)('secrets in a registered check and its result (%s)', (transport) => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    ({ app, url } = await serve(transport, { environ: false }));
    app.get(ProbeRegistry).register('readiness', () => ({ status: true, 'dsn?password=hunter2': 'x' }), {
      name: 'keyed',
    });
  });
  afterAll(() => app.close());

  it('masks the keys of the data too', async () => {
    const res = await send(url, 'GET', `${BASE}/readiness/keyed`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      status: true,
      checks: { keyed: { status: true, 'dsn?password=***': 'x' } },
    });
  });
});

describe('secrets in a registered name (metrics labels)', () => {
  let app: INestApplication | undefined;
  afterEach(() => app?.close());

  it('labels the check with its name masked, as the body reports it', async () => {
    const own = new Registry();
    let url: string;
    ({ app, url } = await serve('port', { environ: false, metrics: { prometheus: own } }));
    const name = 'postgres://app:hunter2@db/x?token=tok-3f9a';
    app.get(ProbeRegistry).register('readiness', () => true, { name });
    await app.get(HeartbeatService).readiness();
    const { port } = app.get(HeartbeatManagementServer).address()!;
    const metrics = await send(`http://127.0.0.1:${port}`, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expectMasked(metrics.body);
    expect(metrics.body).toContain('check="postgres://app:***@db/x?token=***"');
    const body = await send(url, 'GET', `${BASE}/readiness`);
    expectMasked(body.body);
    expect(JSON.parse(body.body)).toEqual({
      status: true,
      checks: { 'postgres://app:***@db/x?token=***': { status: true } },
    });
  });
});
