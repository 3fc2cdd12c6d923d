import { type INestApplication, Injectable } from '@nestjs/common';
import request from 'supertest';
import { EnvironProbe, HeartbeatModule, LivelinessProbe, ReadinessProbe } from 'nestjs-heartbeat';
import { expectProbe, fakeCheck, probe, restoreChecks, untilProbe } from 'nestjs-heartbeat/testing';
import { ADAPTERS, createApp } from './support/app.js';
import { createEnvironRoot, removeEnvironRoot } from './support/transports.js';

const root = createEnvironRoot();
afterAll(() => removeEnvironRoot(root));

/** The app's own checks, as a user writes them: `db` follows `up`, the rest pass. */
@Injectable()
class Checks {
  up = true;

  @ReadinessProbe()
  db() {
    return this.up ? { status: true, pool: 4 } : { status: false, message: 'connection refused' };
  }

  @ReadinessProbe({ critical: false })
  cache() {
    return true;
  }

  @LivelinessProbe('event-loop')
  loop() {
    return ['event-loop', true, { lagMs: 1 }] as const;
  }

  @EnvironProbe()
  build() {
    return { version: '1.2.3' };
  }
}

describe.each(ADAPTERS)('nestjs-heartbeat/testing on %s', (adapter) => {
  let app: INestApplication;

  beforeEach(async () => {
    app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ logger: false, environ: { root } })],
      providers: [Checks],
    });
  });
  afterEach(async () => {
    restoreChecks();
    await app.close();
  });

  describe('probe', () => {
    it('answers the status code, the parsed body and each check, the same bytes as the route', async () => {
      const result = await probe(app, 'readiness');
      expect(result.statusCode).toBe(200);
      expect(result.passed).toBe(true);
      expect(result.contentType).toBe('application/json; charset=utf-8');
      expect(result.body).toEqual({
        status: true,
        checks: { db: { status: true, pool: 4 }, cache: { status: true, critical: false } },
      });
      expect(result.checks.db).toEqual({ name: 'db', status: true, message: undefined, data: { pool: 4 } });
      expect(result.check('cache').status).toBe(true);
      const http = await request(app.getHttpServer()).get('/.well-known/heartbeat/readiness');
      expect(http.status).toBe(result.statusCode);
      expect(http.text).toBe(result.text);
    });

    it('answers liveness (the liveliness probe), environ, one check and every format', async () => {
      const live = await probe(app, 'liveness');
      expect(live.probe).toBe('liveliness');
      expect(live.body.checks['event-loop']).toEqual({ status: true, lagMs: 1 });
      const environ = await probe(app, 'environ');
      expect(environ.body.version).toBe('1.2.3');

      app.get(Checks).up = false;
      const one = await probe(app, 'readiness', { check: 'cache' });
      expect(one.statusCode).toBe(200);
      expect(Object.keys(one.checks)).toEqual(['cache']);
      const text = await probe(app, 'readiness', { format: 'text' });
      expect(text.body).toBe('[-]db failed: connection refused\n[+]cache ok\nreadiness check failed\n');
      expect(text.checks.db).toEqual({ name: 'db', status: false, message: 'connection refused', data: {} });
      const health = await probe(app, 'readiness', { format: 'health+json' });
      expect(health.body.status).toBe('fail');
      expect(health.checks.db.status).toBe(false);
      expect(health.checks.db.message).toBe('connection refused');
      expect(health.checks.cache.status).toBe(true);
      const terminus = await probe(app, 'readiness', { format: 'terminus' });
      expect(terminus.statusCode).toBe(503);
      expect(terminus.body.status).toBe('error');
      expect(terminus.checks.db).toEqual({
        name: 'db',
        status: false,
        message: 'connection refused',
        data: { message: 'connection refused' },
      });
    });

    it('answers the 404 of a check the probe does not have, and lists its checks when asked for one', async () => {
      const missing = await probe(app, 'readiness', { check: 'nope' });
      expect(missing.statusCode).toBe(404);
      expect(missing.body).toEqual({ statusCode: 404, message: 'No readiness check named "nope"' });
      const result = await probe(app, 'readiness');
      expect(() => result.check('nope')).toThrow(new Error('readiness has no check "nope" (its checks: db, cache)'));
    });

    it('refuses a name that is no probe, listing the probes', async () => {
      await expect(probe(app, 'readyness' as 'readiness')).rejects.toThrow(
        new Error('"readyness" is not a probe; the probes are: readiness, liveliness, liveness, startup, environ'),
      );
    });
  });

  describe('fakeCheck', () => {
    it('forces an outcome until restored, and the route answers it too', async () => {
      const restore = fakeCheck(app, 'db', { status: false, message: 'forced down' });
      const down = await probe(app, 'readiness');
      expect(down.statusCode).toBe(500);
      expect(down.body.checks.db).toEqual({ status: false, message: 'forced down' });
      const http = await request(app.getHttpServer()).get('/.well-known/heartbeat/readiness');
      expect(http.body.checks.db).toEqual({ status: false, message: 'forced down' });
      restore();
      restore(); // idempotent
      expect((await probe(app, 'readiness')).body.checks.db).toEqual({ status: true, pool: 4 });
    });

    it('runs a handler, giving it the AbortSignal when it declares a parameter, and a thrown error fails the check', async () => {
      const signals: unknown[] = [];
      fakeCheck(app, 'db', (signal: AbortSignal) => {
        signals.push(signal);
        return { status: true, faked: 'yes' };
      });
      expect((await probe(app, 'readiness')).body.checks.db).toEqual({ status: true, faked: 'yes' });
      expect(signals).toHaveLength(1);
      expect(signals[0]).toBeInstanceOf(AbortSignal);

      const args: unknown[][] = [];
      fakeCheck(app, 'db', (...given: unknown[]) => {
        args.push(given);
        return true;
      });
      await probe(app, 'readiness');
      expect(args).toEqual([[undefined]]); // no parameter declared: no signal

      fakeCheck(app, 'db', new Error('secret://user:pw@db'));
      expectProbe(await probe(app, 'readiness')).toFail(
        'db',
        "Checks.db failed: threw Error; its text is withheld from probe bodies (see the Heartbeat log, or set details: 'always')",
      );
    });

    it("'hang' never settles: the check fails by its timeout", async () => {
      await app.close();
      app = await createApp(adapter, {
        imports: [HeartbeatModule.forRoot({ logger: false, environ: false, timeoutMs: 50 })],
        providers: [Checks],
      });
      fakeCheck(app, 'db', 'hang');
      expectProbe(await probe(app, 'readiness')).toFail('db', 'Checks.db timed out after 50 ms');
    });

    it('stacks fakes, restores the one below, and restoreChecks(app) restores every fake of the app', async () => {
      const first = fakeCheck(app, 'db', false);
      const second = fakeCheck(app, 'db', { status: true, second: true });
      fakeCheck(app, 'event-loop', { status: false, message: 'stuck' });
      expect((await probe(app, 'readiness')).body.checks.db).toEqual({ status: true, second: true });
      second();
      expect((await probe(app, 'readiness')).body.checks.db).toEqual({ status: false });
      first();
      expect((await probe(app, 'readiness')).body.checks.db).toEqual({ status: true, pool: 4 });
      expectProbe(await probe(app, 'liveness')).toFail('event-loop', 'stuck');
      restoreChecks(app);
      expectProbe(await probe(app, 'liveness')).toPass();
    });

    it('fakes one probe only when asked, and works with `using`', async () => {
      expect(() => fakeCheck(app, 'event-loop', false, { probe: 'readiness' })).toThrow(
        new Error('fakeCheck: no check is named "event-loop"; the registered checks are: db, cache'),
      );
      {
        using _restore = fakeCheck(app, 'event-loop', false, { probe: 'liveness' });
        expectProbe(await probe(app, 'liveness')).toFail('event-loop');
      }
      expectProbe(await probe(app, 'liveness')).toPass('event-loop');
    });

    it('names the registered checks when the name does not exist', () => {
      expect(() => fakeCheck(app, 'database', false)).toThrow(
        new Error(
          'fakeCheck: no check is named "database"; the registered checks are: db, cache, event-loop, libraries, node, runtime, app, build',
        ),
      );
    });
  });

  describe('expectProbe', () => {
    it('passes silently and chains', async () => {
      fakeCheck(app, 'db', { status: false, message: 'connection refused' });
      expectProbe(await probe(app, 'readiness'))
        .toFail()
        .toFail('db')
        .toFail('db', 'connection refused')
        .toFail('db', /refused/)
        .toPass('cache');
    });

    it('names the check and its message when it fails (word for word)', async () => {
      fakeCheck(app, 'db', { status: false, message: 'connection refused' });
      fakeCheck(app, 'cache', { status: false, message: 'evicted' });
      const down = await probe(app, 'readiness');
      expect(() => expectProbe(down).toPass()).toThrow(
        new Error(
          'expected readiness to pass, but it answered 500 (db failed: connection refused; cache failed: evicted)',
        ),
      );
      expect(() => expectProbe(down).toPass('db')).toThrow(
        new Error('expected readiness check "db" to pass, but db failed: connection refused'),
      );
      expect(() => expectProbe(down).toFail('db', 'timed out')).toThrow(
        new Error('expected readiness check "db" to fail with "timed out", but it failed with "connection refused"'),
      );
      expect(() => expectProbe(down).toFail('db', /timeout/)).toThrow(
        new Error('expected readiness check "db" to fail with /timeout/, but it failed with "connection refused"'),
      );
      expect(() => expectProbe(down).toFail('redis')).toThrow(
        new Error(
          'expected readiness check "redis" to fail, but readiness has no check "redis" (its checks: db, cache)',
        ),
      );
      restoreChecks(app);
      const up = await probe(app, 'readiness');
      expect(() => expectProbe(up).toFail()).toThrow(new Error('expected readiness to fail, but it answered 200'));
      expect(() => expectProbe(up).toFail('db')).toThrow(
        new Error('expected readiness check "db" to fail, but db passed'),
      );
      const missing = await probe(app, 'readiness', { check: 'nope' });
      expect(() => expectProbe(missing).toPass()).toThrow(
        new Error('expected readiness to pass, but it answered 404 (No readiness check named "nope")'),
      );
    });
  });

  describe('untilProbe', () => {
    it('answers at once when the probe is already there', async () => {
      const result = await untilProbe(app, 'readiness', 'pass');
      expect(result.statusCode).toBe(200);
    });

    it('wakes on a change of the probe (no polling) and answers that probe', async () => {
      let settled = false;
      const waiting = untilProbe(app, 'readiness', 'fail', { timeoutMs: 60_000 }).finally(() => (settled = true));
      await probe(app, 'readiness'); // a change-free probe: still waiting
      await Promise.resolve();
      expect(settled).toBe(false);
      app.get(Checks).up = false;
      await probe(app, 'readiness'); // what a kubelet's probe would do: db changes to failing
      const result = await waiting;
      expectProbe(result).toFail('db', 'connection refused');
    });

    it('waits for one check, and fails after timeoutMs with the last answer (word for word)', async () => {
      fakeCheck(app, 'cache', { status: false, message: 'evicted' });
      // On a busy machine the first answer may come after 20 ms of real time (word for word on fake time: testing-timers.spec.ts).
      await expect(untilProbe(app, 'readiness', 'fail', { timeoutMs: 20 })).rejects.toThrow(
        /^untilProbe: readiness did not fail within 20 ms; it last answered (200 \(cache failed: evicted\)|nothing yet)$/,
      );
      const cache = await untilProbe(app, 'readiness', 'fail', { check: 'cache' });
      expect(cache.statusCode).toBe(200);
      expect(() => untilProbe(app, 'readiness', 'pass', { timeoutMs: 0 })).toThrow(
        new Error('untilProbe: option "timeoutMs" must be a positive number of milliseconds; got 0'),
      );
    });
  });
});

describe('nestjs-heartbeat/testing with hostile input', () => {
  let app: INestApplication;

  beforeEach(async () => {
    app = await createApp('express', {
      imports: [HeartbeatModule.forRoot({ logger: false, environ: false })],
      providers: [Checks],
    });
  });
  afterEach(async () => {
    restoreChecks();
    await app.close();
  });

  it('finds no check named after a prototype member', async () => {
    for (const name of ['__proto__', 'constructor', 'toString'])
      expect(() => fakeCheck(app, name, false)).toThrow(
        new Error(`fakeCheck: no check is named "${name}"; the registered checks are: db, cache, event-loop, build`),
      );
    const result = await probe(app, 'readiness');
    expect(() => expectProbe(result).toPass('constructor')).toThrow(
      new Error(
        'expected readiness check "constructor" to pass, but readiness has no check "constructor" (its checks: db, cache)',
      ),
    );
  });

  it('a fake whose handler is a revoked Proxy, or that returns a megabyte message, is a failing check', async () => {
    const { proxy, revoke } = Proxy.revocable(() => true, {});
    revoke();
    fakeCheck(app, 'db', proxy);
    const revoked = await probe(app, 'readiness');
    expectProbe(revoked).toFail('db');
    expect(revoked.checks.db.message).toMatch(/^Checks\.db failed: threw TypeError/);
    fakeCheck(app, 'db', { status: false, message: 'x'.repeat(1024 * 1024) });
    expectProbe(await probe(app, 'readiness')).toFail(
      'db',
      'Checks.db returned 1048590 bytes of data, more than the 2048-byte limit',
    );
  });

  it('thousands of stacked fakes restore to the check itself', async () => {
    const restores = Array.from({ length: 5000 }, (_, index) => fakeCheck(app, 'db', { status: false, index }));
    expect((await probe(app, 'readiness')).body.checks.db).toEqual({ status: false, index: 4999 });
    for (const restore of restores.slice(0, 2500)) restore();
    expect((await probe(app, 'readiness')).body.checks.db).toEqual({ status: false, index: 4999 });
    restoreChecks(app);
    expect((await probe(app, 'readiness')).body.checks.db).toEqual({ status: true, pool: 4 });
  });
});

describe('nestjs-heartbeat/testing without the module', () => {
  it('says the app has no HeartbeatModule', async () => {
    const app = await createApp('express', {});
    try {
      await expect(probe(app, 'readiness')).rejects.toThrow(
        new Error(
          'probe: the app has no HeartbeatModule (import HeartbeatModule.forRoot() in the testing module, and await app.init() or compile() first)',
        ),
      );
      expect(() => fakeCheck(app, 'db', false)).toThrow(/^fakeCheck: the app has no HeartbeatModule/);
    } finally {
      await app.close();
    }
  });
});
