import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectProbe, fakeCheck, probe, restoreChecks } from 'nestjs-heartbeat/testing';
import request from 'supertest';
import { AppModule } from '../sample/src/app.module.js';
import { DatabaseService } from '../sample/src/database.service.js';
import { createApp } from './support/app.js';

describe('the sample app', () => {
  let app: INestApplication;
  const dataDir = mkdtempSync(join(tmpdir(), 'heartbeat-sample-test-'));

  beforeAll(async () => {
    process.env.DATA_DIR = dataDir;
    app = await createApp('express', { imports: [AppModule] });
  });
  afterEach(() => restoreChecks());
  afterAll(async () => {
    await app.close();
    delete process.env.DATA_DIR;
    rmSync(dataDir, { recursive: true, force: true });
  });

  // Tested with nestjs-heartbeat/testing, as docs/testing.md shows (one request over HTTP besides).
  it('is not ready while the database is reported down (a faked outcome)', async () => {
    const restore = fakeCheck(app, 'database', { status: false, message: 'disk full' });
    const down = await probe(app, 'readiness');
    expect(down.statusCode).toBe(503);
    expectProbe(down).toFail('database', 'disk full');
    restore();
    expectProbe(await probe(app, 'readiness')).toPass('database');
  });

  it('is ready while its SQLite database answers, and not once it is closed', async () => {
    const ready = await probe(app, 'readiness');
    expectProbe(ready).toPass('database');
    expect(ready.body).toEqual({ status: true, checks: { database: { status: true, timeMs: expect.any(Number) } } });
    expect(app.get(DatabaseService).file.startsWith(dataDir)).toBe(true);

    app.get(DatabaseService).db.close();
    const down = await request(app.getHttpServer()).get('/.well-known/heartbeat/readiness');
    expect(down.status).toBe(503);
    expect(down.body).toEqual({
      status: false,
      checks: {
        database: {
          status: false,
          message:
            "HealthChecks.database failed: threw TypeError; its text is withheld from probe bodies (see the Heartbeat log, or set details: 'always')",
        },
      },
    });
  });

  it('is alive and reports its name and version in environ', async () => {
    const live = await probe(app, 'liveness');
    expectProbe(live).toPass('event-loop');
    expect(live.body.checks['event-loop']).toEqual({ status: true, lagMs: expect.any(Number) });
    // On a loaded machine environ may answer before the one-time inventory has finished (marked
    // incomplete): ask again until it is complete. The inventory reads the repository's 700 or so
    // packages; beside other suites that write trees of thousands of packages (inventory-limits) on
    // a loaded machine it took over 20 s, hence the test's 60 s (it ends as soon as it is complete).
    let environ = await request(app.getHttpServer()).get('/.well-known/heartbeat/environ');
    while (environ.body.inventory?.complete === false) {
      expect(environ.status).toBe(200);
      environ = await request(app.getHttpServer()).get('/.well-known/heartbeat/environ');
    }
    expect(environ.body.app).toEqual({ name: 'heartbeat-sample', version: '1.0.0' });
    expect(environ.body.libraries['better-sqlite3'].version).toMatch(/^12\./);
  }, 60_000);
});
