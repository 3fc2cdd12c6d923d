import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { HeartbeatModule, HeartbeatService, ProbeRegistry } from '../src/index.js';
import { ADAPTERS, createApp } from './support/app.js';
import { RecordingLogger } from './support/logger.js';

const BASE = '/.well-known/heartbeat';

/**
 * Defects found by the hostile review of issue 25 on df5ae5a (each of these tests failed there):
 * findings the first round of fixes left open.
 */
describe.each(ADAPTERS)('issue 25 review (%s)', (adapter) => {
  let app: INestApplication | undefined;
  const cwd = process.cwd();
  const dirs: string[] = [];
  afterEach(async () => {
    await app?.close();
    app = undefined;
    process.chdir(cwd);
    dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  });

  // Issue 25, "Smaller ones": environ is silently empty when the process is not started from the
  // app's folder. Started from a folder with no package.json at or above it, environ still answers
  // 200 with `libraries: {}`, `app: {name: null}`, no `inventory` note and no log line.
  it('says so when environ finds no package.json (the process started outside the app folder)', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'heartbeat-review-cwd-'));
    dirs.push(outside);
    process.chdir(outside);
    const logger = new RecordingLogger();
    app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger })] });
    const res = await request(app.getHttpServer()).get(`${BASE}/environ`);
    const told =
      res.body.inventory !== undefined || logger.messages().some((line) => /package\.json|environ\.root/.test(line));
    expect(told).toBe(true);
  });

  // Issue 25, "Options silently accepted": options meaningless for an environ contributor
  // (critical, intervalMs, failureThreshold, name) are accepted by register and ignored (a
  // contributor registered with intervalMs: 200 is never called in the background; critical: false
  // still fails environ).
  it.each([{ critical: false }, { intervalMs: 200 }, { failureThreshold: 3 }])(
    "register('environ', fn, %p) fails naming the option",
    async (options) => {
      app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger: false, environ: false })] });
      const registry = app.get(ProbeRegistry);
      expect(() => registry.register('environ', () => ({ k: 1 }), options)).toThrow(Object.keys(options)[0]);
    },
  );

  // A name registered as `a#2` is the full report's `a#2`; a second `a` is reported as `a#3`. The
  // one-check route `readiness/a#2` answers the second `a` (failing, 500) under the key `a#2`, so
  // the two answers give the same name opposite statuses.
  it('answers readiness/a#2 with the check the full report calls a#2', async () => {
    app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger: false, environ: false })] });
    const registry = app.get(ProbeRegistry);
    registry.register('readiness', () => true, { name: 'a#2' });
    registry.register('readiness', () => true, { name: 'a' });
    registry.register('readiness', () => false, { name: 'a' });
    const full = await request(app.getHttpServer()).get(`${BASE}/readiness`);
    expect(full.body.checks['a#2']).toEqual({ status: true });
    const one = await request(app.getHttpServer()).get(`${BASE}/readiness/a%232`);
    expect(one.body.checks['a#2']).toEqual(full.body.checks['a#2']);
    expect(one.status).toBe(200);
  });

  // A capped body sends the reader to `GET <probe>/<name>`; on Fastify a parameter over 100
  // characters is 414 (FST_ERR_MAX_PARAM_LENGTH), so a registered name is at most 100 characters
  // (a 150-character name was accepted and its route answered 414 on Fastify).
  it('answers the one-check route of a check name of the longest length register accepts', async () => {
    app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger: false, environ: false })] });
    expect(() => app!.get(ProbeRegistry).register('readiness', () => true, { name: 'n'.repeat(101) })).toThrow(
      'at most 100 characters',
    );
    const name = 'n'.repeat(100);
    app.get(ProbeRegistry).register('readiness', () => true, { name });
    const res = await request(app.getHttpServer()).get(`${BASE}/readiness/${name}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.checks)).toEqual([name]);
  });
});

describe('issue 25 review: masking in the in-process API', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  // The README (Safe by default) promises masked text in `state()` and `changes$` too, and the
  // bodies, the log and the metrics labels show such a name as `db?token=***`; state() and changes$
  // carry the registered name (`name` and `source`) with the token in clear.
  it('masks a credential in a check name in state() and changes$', async () => {
    app = await createApp('express', { imports: [HeartbeatModule.forRoot({ logger: false, environ: false })] });
    app.get(ProbeRegistry).register('readiness', () => false, { name: 'db?token=SECRET25' });
    const service = app.get(HeartbeatService);
    const changes: string[] = [];
    const subscription = service.changes$.subscribe((change) => changes.push(JSON.stringify(change)));
    await service.readiness();
    subscription.unsubscribe();
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.join('\n')).not.toContain('SECRET25');
    expect(JSON.stringify(service.state())).not.toContain('SECRET25');
  });
});
