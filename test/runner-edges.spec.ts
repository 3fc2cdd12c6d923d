import { Injectable, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import {
  HeartbeatModule,
  type HeartbeatModuleOptions,
  HeartbeatService,
  ProbeRegistry,
  ReadinessProbe,
} from '../src/index.js';
import { ADAPTERS, createApp } from './support/app.js';
import { RecordingLogger } from './support/logger.js';

const BASE = '/.well-known/heartbeat';
const WITHHELD = "its text is withheld from probe bodies (see the Heartbeat log, or set details: 'always')";

/** Waits until at least `ms` have passed on the wall clock (never less, however busy the machine). */
async function atLeast(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() <= until) await new Promise((resolve) => setTimeout(resolve, until - Date.now() + 1));
}

@Injectable()
class CancellableChecks {
  static signals: AbortSignal[] = [];
  @ReadinessProbe({ name: 'database', timeoutMs: 30 })
  database(signal: AbortSignal) {
    CancellableChecks.signals.push(signal);
    return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
  }
}

describe.each(ADAPTERS)('the runner at its edges (%s)', (adapter) => {
  let app: INestApplication;
  let logger: RecordingLogger;
  const boot = async (options: HeartbeatModuleOptions = {}, providers: (new () => unknown)[] = []) => {
    logger = new RecordingLogger();
    app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger, ...options })], providers });
    return app.get(ProbeRegistry);
  };
  const get = (path: string) => request(app.getHttpServer()).get(`${BASE}/${path}`);
  afterEach(() => app?.close());

  it('abandons a call that never settles after abandonAfterMs and calls the handler again, saying so', async () => {
    const registry = await boot({ timeoutMs: 20, abandonAfterMs: 100 });
    let calls = 0;
    registry.register('readiness', () => (calls++, new Promise(() => undefined)), { name: 'lost' });
    expect((await get('readiness')).body.checks.lost.message).toBe('lost timed out after 20 ms');
    expect(calls).toBe(1);
    await atLeast(100);
    expect((await get('readiness')).body.checks.lost.message).toBe(
      'lost timed out after 20 ms (its previous call had not settled after 100 ms and was abandoned; this is a new call)',
    );
    expect(calls).toBe(2);
  });

  it('never abandons with abandonAfterMs: 0, and honours it per check', async () => {
    const registry = await boot({ timeoutMs: 20, abandonAfterMs: 0 });
    let calls = 0;
    let perCheck = 0;
    registry.register('readiness', () => (calls++, new Promise(() => undefined)), { name: 'kept' });
    registry.register('readiness', () => (perCheck++, new Promise(() => undefined)), {
      name: 'own',
      abandonAfterMs: 50,
    });
    await get('readiness');
    await atLeast(50);
    await get('readiness');
    expect([calls, perCheck]).toEqual([1, 2]);
  });

  it('gives a handler that declares a parameter an AbortSignal, aborted when its timeout passes', async () => {
    CancellableChecks.signals = [];
    await boot({}, [CancellableChecks]);
    const res = await get('readiness');
    expect(res.body.checks.database).toEqual({
      status: false,
      message: 'CancellableChecks.database timed out after 30 ms',
    });
    const [signal] = CancellableChecks.signals;
    expect(signal.aborted).toBe(true);
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
    // The aborted call rejected, so the next probe calls the handler again instead of waiting on it.
    await new Promise((resolve) => setImmediate(resolve));
    await get('readiness');
    expect(CancellableChecks.signals).toHaveLength(2);
    expect(CancellableChecks.signals[1].aborted).toBe(true);
  });

  it('runs one check alone for <probe>/<name>', async () => {
    const registry = await boot();
    const calls: string[] = [];
    for (const name of ['a', 'b', 'c']) registry.register('readiness', () => void calls.push(name), { name });
    const res = await get('readiness/b');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: true, checks: { b: { status: true } } });
    expect(calls).toEqual(['b']);
  });

  it('keeps thrown error text out of bodies by default and in the log, URL passwords masked', async () => {
    const registry = await boot();
    registry.register(
      'readiness',
      () => {
        throw Object.assign(new Error('connect postgres://app:hunter2@db:5432/app failed'), { code: 'ECONNREFUSED' });
      },
      { name: 'db' },
    );
    const json = await get('readiness');
    expect(json.body.checks.db).toEqual({ status: false, message: `db failed: threw Error ECONNREFUSED; ${WITHHELD}` });
    const text = await get('readiness?verbose');
    const health = await get('readiness').set('Accept', 'application/health+json');
    for (const body of [json.text, text.text, health.text]) expect(body).not.toContain('hunter2');
    expect(logger.messages('warn')).toEqual([
      'readiness check "db" is failing: db failed: connect postgres://app:***@db:5432/app failed',
    ]);
  });

  it('caps names from result tuples and keeps names and messages on one line in bodies, text and logs', async () => {
    const registry = await boot();
    registry.register('readiness', () => ['forged\n[+]db ok', false, { message: 'down\nreadiness check passed' }], {
      name: 'x',
    });
    registry.register('readiness', () => ['n'.repeat(1_000_000), true], { name: 'huge' });
    const res = await get('readiness');
    const names = Object.keys(res.body.checks);
    expect(names[0]).toBe('forged\\n[+]db ok');
    expect(names[1]).toHaveLength(200);
    expect(res.text.length).toBeLessThan(2000);
    const text = (await get('readiness?verbose')).text.split('\n');
    expect(text.filter((line) => line.startsWith('[+]db'))).toEqual([]);
    expect(text[0]).toBe('[-]forged\\n[+]db ok failed: down\\nreadiness check passed');
    for (const line of logger.messages()) expect(line).not.toContain('\n');
  });

  it('caps and escapes an unknown check name echoed in a 404', async () => {
    await boot();
    // Fastify itself refuses a path parameter over 100 characters (414), before the module is reached.
    const res = await get(`readiness/${'z'.repeat(adapter === 'fastify' ? 80 : 5000)}%0A%5B%2B%5Dforged`);
    expect(res.status).toBe(404);
    expect(res.text.length).toBeLessThan(500);
    expect(JSON.parse(res.text).message).not.toContain('\n');
  });

  it('survives a logger that throws', async () => {
    const registry = await boot();
    logger.warn = () => {
      throw new Error('logger down');
    };
    registry.register('readiness', () => false, { name: 'down' });
    const res = await get('readiness');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ status: false, checks: { down: { status: false } } });
  });

  it('answers the same response while only the withheld text of an error changes', async () => {
    const registry = await boot();
    let n = 0;
    registry.register(
      'readiness',
      () => {
        throw new Error(`attempt ${++n}`);
      },
      { name: 'flaky' },
    );
    const service = app.get(HeartbeatService);
    const first = await service.respond('readiness');
    const second = await service.respond('readiness');
    expect(second).toEqual(first);
  });
});
