import { type INestApplication, Injectable } from '@nestjs/common';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { ReadinessProbe } from '../src/index.js';
import { send, serve, TRANSPORTS } from './support/transports.js';

const BASE = '/.well-known/heartbeat';

@Injectable()
class Replica {
  constructor(private readonly health: HealthIndicatorService) {}

  @ReadinessProbe('replica')
  replica() {
    return this.health.check('replica').degraded({ lagSeconds: 12 });
  }

  @ReadinessProbe('db')
  db() {
    return true;
  }
}

describe.each(TRANSPORTS)('a terminus degraded result outside ?format=terminus (%s)', (transport) => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    ({ app, url } = await serve(transport, { environ: false }, { imports: [TerminusModule], providers: [Replica] }));
  });
  afterAll(() => app.close());

  it('passes in the seed JSON (200), marked "degraded": true on its check and on the probe', async () => {
    const res = await send(url, 'GET', `${BASE}/readiness`);
    expect(res.status).toBe(200);
    expect(res.body).toBe(
      '{"status":true,"checks":{"replica":{"status":true,"lagSeconds":12,"degraded":true},"db":{"status":true}},"degraded":true}',
    );
    const one = await send(url, 'GET', `${BASE}/readiness/replica`);
    expect(one.status).toBe(200);
    expect(JSON.parse(one.body)).toEqual({
      status: true,
      checks: { replica: { status: true, lagSeconds: 12, degraded: true } },
      degraded: true,
    });
  });

  it('is warn in health+json, with a 200', async () => {
    const res = await send(url, 'GET', `${BASE}/readiness`, { accept: 'application/health+json' });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as { status: string; checks: Record<string, { status: string }[]> };
    expect(body.status).toBe('warn');
    expect(body.checks.replica[0].status).toBe('warn');
    expect(body.checks.db[0].status).toBe('pass');
  });

  it('says so in the text view, with a 200', async () => {
    const res = await send(url, 'GET', `${BASE}/readiness?verbose`);
    expect(res.status).toBe(200);
    expect(res.body).toBe('[+]replica ok (degraded)\n[+]db ok\nreadiness check passed (degraded)\n');
  });

  it('stays terminus’s own degraded in the terminus view', async () => {
    const res = await send(url, 'GET', `${BASE}/readiness?format=terminus`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'degraded', info: { replica: { status: 'degraded' } } });
  });
});
