import { type INestApplication, Injectable } from '@nestjs/common';
import { HeartbeatModule, ProbeRegistry, ReadinessProbe } from '../src/index.js';
import { createThreadApp, portOf, probe, until } from './support/thread.js';
import { send, serve, TRANSPORTS } from './support/transports.js';

const BASE = '/.well-known/heartbeat';
/** The cap the README documents: the kubelet reads 10 KiB of a body. */
const CAP = 10 * 1024;
const MARKER = '… [truncated] the body is capped at 10240 bytes';

/** Each view of a probe, as a request asks for it. */
const FORMATS = [
  ['json', ''],
  ['terminus', '?format=terminus'],
  ['health+json', '?format=health+json'],
  ['text', '?verbose'],
] as const;

/** A terminus indicator result of 64 keys, each with some 500 bytes of data: 38 KB as the seed rendered it. */
function manyKeys() {
  return Object.fromEntries(
    Array.from({ length: 64 }, (_, i) => [`key${i}`, { status: i === 5 ? 'down' : 'up', detail: `${i}`.repeat(500) }]),
  );
}

/**
 * Asserts the body is within the cap and, when it was cut, carries the marker; the JSON views still
 * parse. Returns the parsed JSON.
 */
function capped(format: string, body: string, cut = true): Record<string, unknown> | null {
  expect(Buffer.byteLength(body)).toBeLessThanOrEqual(CAP);
  if (cut) expect(body).toContain(MARKER);
  else expect(body).not.toContain(MARKER);
  if (format === 'text') return null;
  const json = JSON.parse(body) as Record<string, unknown>;
  if (cut) expect(json.truncated).toEqual(expect.stringContaining(MARKER));
  return json;
}

/** The views that carry the checks' data (health+json and text show only statuses and reasons). */
const withData = (format: string) => format === 'json' || format === 'terminus';

describe.each(TRANSPORTS)('every probe body stays within its 10 KiB cap (%s)', (transport) => {
  let app: INestApplication;
  let url: string;
  let registry: ProbeRegistry;
  let unregister: (() => void)[] = [];
  beforeAll(async () => {
    ({ app, url } = await serve(transport, { environ: false }));
    registry = app.get(ProbeRegistry);
  });
  afterEach(() => {
    for (const remove of unregister) remove();
    unregister = [];
  });
  afterAll(() => app.close());

  it.each(FORMATS)('an indicator of 64 keys (%s), also on its one-check route', async (format, query) => {
    unregister.push(registry.register('readiness', manyKeys, { name: 'big' }));
    for (const path of [`${BASE}/readiness${query}`, `${BASE}/readiness/big${query}`]) {
      const res = await send(url, 'GET', path);
      expect(res.status).toBe(format === 'terminus' ? 503 : 500);
      const json = capped(format, res.body, withData(format));
      // Only the data is left out: every key is still there, the failing one with its status.
      if (format === 'json') {
        const checks = json!.checks as Record<string, unknown>;
        expect(Object.keys(checks)).toHaveLength(64);
        expect(checks.key5).toEqual({ status: false });
        expect(checks.key0).toEqual({ status: true });
      }
      if (format === 'text') expect(res.body.split('\n').filter((line) => line.startsWith('['))).toHaveLength(64);
    }
  });

  it.each(FORMATS)(
    'checks with big data (%s): the data is left out, a failing check keeps a short reason',
    async (format, query) => {
      for (let i = 0; i < 12; i++) {
        const failing = i === 7;
        const data = {
          status: !failing,
          message: failing ? `db down ${'!'.repeat(250)}` : 'fine',
          blob: 'b'.repeat(1700),
        };
        unregister.push(registry.register('readiness', () => data, { name: `data${i}` }));
      }
      const res = await send(url, 'GET', `${BASE}/readiness${query}`);
      expect(res.status).toBe(format === 'terminus' ? 503 : 500);
      const json = capped(format, res.body, withData(format));
      expect(res.body).not.toContain('bbbb');
      expect(res.body).toContain('db down !!!');
      if (format === 'json') expect(Object.keys(json!.checks as object)).toHaveLength(12);
    },
  );

  it.each(FORMATS)(
    '2,000 checks (%s): as many as fit, failing ones first, the count of the others',
    async (format, query) => {
      for (let i = 0; i < 2000; i++) {
        const name = `check-${String(i).padStart(4, '0')}-${'n'.repeat(85)}`;
        unregister.push(registry.register('readiness', () => i !== 1234, { name }));
      }
      const res = await send(url, 'GET', `${BASE}/readiness${query}`);
      expect(res.status).toBe(format === 'terminus' ? 503 : 500);
      const json = capped(format, res.body);
      expect(res.body).toContain('check-1234-');
      expect(res.body).toMatch(/, and \d+ of 2000 checks \(failing ones are kept first\)/);
      if (format === 'json') {
        expect(json!.status).toBe(false);
        const checks = json!.checks as Record<string, { status: boolean }>;
        const kept = Object.keys(checks);
        expect(kept.length).toBeGreaterThan(10);
        expect(kept.length).toBeLessThan(2000);
        expect(checks[kept.find((key) => key.startsWith('check-1234-'))!]).toEqual({ status: false });
      }
      if (format === 'health+json') expect(json!.status).toBe('fail');
      if (format === 'terminus') expect(json!.status).toBe('error');
      if (format === 'text') expect(res.body.endsWith('readiness check failed\n')).toBe(true);
    },
  );

  it('passing probes keep their 200 when capped', async () => {
    for (let i = 0; i < 400; i++)
      unregister.push(registry.register('readiness', () => true, { name: `ok-${i}-${'p'.repeat(60)}` }));
    for (const [format, query] of FORMATS) {
      const res = await send(url, 'GET', `${BASE}/readiness${query}`);
      expect(res.status).toBe(200);
      capped(format, res.body);
    }
  });
});

@Injectable()
class BigIndicator {
  @ReadinessProbe('big')
  big() {
    return manyKeys();
  }
}

describe('the worker thread (thread: true)', () => {
  let app: INestApplication | undefined;
  afterEach(() => app?.close());

  it('keeps a capped body within 10 KiB with the mainThread verdict it adds', async () => {
    app = await createThreadApp({
      imports: [
        HeartbeatModule.forRoot({
          logger: false,
          environ: false,
          port: 0,
          thread: true,
          intervalMs: 100,
          maxLagMs: 60_000,
          maxStallMs: 60_000,
        }),
      ],
      providers: [BigIndicator],
    });
    const port = portOf(app);
    const res = await until(
      () => probe(port, `${BASE}/readiness`),
      ({ body }) => body.includes('"key63"'),
    );
    expect(res.status).toBe(500);
    const json = capped('json', res.body);
    expect(json!.mainThread).toEqual(expect.objectContaining({ status: true }));
    expect(Object.keys(json!.checks as object)).toHaveLength(64);
  });
});
