import type { INestApplication } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpCheck, ProbeRegistry } from '../src/index.js';
import { send, serve, TRANSPORTS } from './support/transports.js';

const BASE = '/.well-known/heartbeat';

let missing: Server;
let missingUrl: string;
beforeAll(async () => {
  missing = createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => missing.listen(0, '127.0.0.1', resolve));
  missingUrl = `http://127.0.0.1:${(missing.address() as AddressInfo).port}/health`;
});
afterAll(() => new Promise((resolve) => missing.close(resolve)));

describe.each(TRANSPORTS)('the reason a failing check shows (%s)', (transport) => {
  describe.each(['safe', 'never'] as const)("details: '%s'", (details) => {
    let app: INestApplication;
    let url: string;
    beforeAll(async () => {
      ({ app, url } = await serve(transport, { environ: false, details }));
      const registry = app.get(ProbeRegistry);
      registry.register('readiness', () => false, { name: 'bare' });
      registry.register('readiness', httpCheck({ url: missingUrl, name: 'upstream' }));
      registry.register('readiness', () => ({ status: false, message: 'redis refused' }), { name: 'cache' });
    });
    afterAll(() => app.close());

    it('shows no reason in the text view for a check that has none, and withholds only a real one', async () => {
      const res = await send(url, 'GET', `${BASE}/readiness?verbose`);
      expect(res.status).toBe(500);
      expect(res.body).toBe(
        [
          '[-]bare failed',
          '[-]upstream failed',
          `[-]cache failed: ${details === 'safe' ? 'redis refused' : 'reason withheld'}`,
          'readiness check failed',
          '',
        ].join('\n'),
      );
      const one = await send(url, 'GET', `${BASE}/readiness/upstream?verbose`);
      expect(one.body).toBe('[-]upstream failed\nreadiness check failed\n');
    });

    it('gives no output in health+json for a check that has no reason', async () => {
      const res = await send(url, 'GET', `${BASE}/readiness?format=health+json`);
      const { checks } = JSON.parse(res.body) as { checks: Record<string, Record<string, unknown>[]> };
      expect(checks.bare[0]).not.toHaveProperty('output');
      expect(checks.upstream[0]).not.toHaveProperty('output');
      expect(checks.cache[0].output).toBe(details === 'safe' ? 'redis refused' : 'reason withheld');
    });
  });
});
