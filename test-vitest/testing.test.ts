import 'reflect-metadata';
import { Injectable, type INestApplication, type OnApplicationShutdown } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { HeartbeatModule, type HeartbeatModuleOptions, ReadinessProbe } from 'nestjs-heartbeat';
import { expectProbe, fakeCheck, probe, restoreChecks, untilProbe } from 'nestjs-heartbeat/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** A background check (every second; two failures in a row to fail, two passes to recover) and one that runs on each probe. */
@Injectable()
class Checks implements OnApplicationShutdown {
  closed = false;

  @ReadinessProbe({ intervalMs: 1000, failureThreshold: 2, successThreshold: 2 })
  db() {
    return true;
  }

  @ReadinessProbe({ cacheTtlMs: 10_000 })
  cache() {
    return { status: true, hits: 3 };
  }

  onApplicationShutdown(): void {
    this.closed = true;
  }
}

async function createApp(adapter: 'express' | 'fastify', options: HeartbeatModuleOptions = {}) {
  const moduleRef = await Test.createTestingModule({
    imports: [HeartbeatModule.forRoot({ logger: false, environ: false, ...options })],
    providers: [Checks],
  }).compile();
  const app =
    adapter === 'express'
      ? moduleRef.createNestApplication({ logger: false })
      : moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  await app.init();
  if (adapter === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return app;
}

describe.each(['express', 'fastify'] as const)('nestjs-heartbeat/testing under Vitest on %s', (adapter) => {
  let app: INestApplication | undefined;
  const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

  afterEach(async () => {
    restoreChecks();
    vi.useRealTimers();
    vi.restoreAllMocks();
    await app?.close();
    app = undefined;
  });

  it('probe, fakeCheck and expectProbe', async () => {
    app = await createApp(adapter);
    const up = await probe(app, 'readiness');
    expect(up.statusCode).toBe(200);
    expect(up.checks.cache).toEqual({ name: 'cache', status: true, message: undefined, data: { hits: 3 } });
    const restore = fakeCheck(app, 'db', { status: false, message: 'forced' }, { probe: 'readiness' });
    restore();
    expect(() => fakeCheck(app!, 'redis', false)).toThrow(
      new Error('fakeCheck: no check is named "redis"; the registered checks are: db, cache'),
    );
    expect(() => expectProbe(up).toFail('cache')).toThrow(
      new Error('expected readiness check "cache" to fail, but cache passed'),
    );
  });

  describe('under fake timers (installed before the app is created)', () => {
    beforeEach(() => {
      // Vitest's defaults: every timer and Date; nextTick and queueMicrotask stay real.
      vi.useFakeTimers();
    });

    it('a background check fails after failureThreshold runs, and recovers after successThreshold', async () => {
      app = await createApp(adapter);
      fakeCheck(app, 'db', { status: false, message: 'connection refused' });
      await advance(1100);
      expectProbe(await probe(app, 'readiness')).toPass();
      const failing = untilProbe(app, 'readiness', 'fail');
      await advance(1100);
      expectProbe(await failing).toFail('db', 'connection refused');
      restoreChecks(app);
      const passing = untilProbe(app, 'readiness', 'pass');
      await advance(2200);
      expectProbe(await passing).toPass('db');
    });

    it('a hung background call goes stale after staleAfterMs; a cached result lasts cacheTtlMs', async () => {
      app = await createApp(adapter, { timeoutMs: 0, abandonAfterMs: 0, staleAfterMs: 1500 });
      expectProbe(await probe(app, 'readiness')).toPass('cache');
      fakeCheck(app, 'db', 'hang');
      fakeCheck(app, 'cache', false);
      await advance(1100);
      expectProbe(await probe(app, 'readiness')).toPass();
      await advance(1500);
      expectProbe(await probe(app, 'readiness')).toFail('db', /has not settled/);
      await advance(10_000 - 2600);
      expectProbe(await probe(app, 'readiness')).toFail('cache');
    });

    it('a hanging check fails by its timeout once the clock reaches it', async () => {
      app = await createApp(adapter);
      fakeCheck(app, 'cache', 'hang');
      await advance(10_000); // past the cached result
      const asked = probe(app, 'readiness');
      await advance(800);
      expectProbe(await asked).toFail('cache', 'Checks.cache timed out after 800 ms');
    });

    it('SIGTERM fails readiness at once; the close waits shutdownDelayMs of fake time', async () => {
      app = await createApp(adapter, { shutdownDelayMs: 5000 });
      app.enableShutdownHooks(['SIGTERM']);
      const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
      process.emit('SIGTERM', 'SIGTERM');
      expectProbe(await probe(app, 'readiness')).toFail();
      await advance(4999);
      expect(app.get(Checks).closed).toBe(false);
      await advance(1);
      expect(app.get(Checks).closed).toBe(true);
      expect(kill).toHaveBeenCalledWith(process.pid, 'SIGTERM');
      app = undefined;
    });
  });
});
