import { Injectable } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { EnvironProbe, LivelinessProbe, ReadinessProbe } from 'nestjs-heartbeat';
import { DatabaseService } from './database.service.js';

/** In a real deployment these usually come from the image build (see the README's Dockerfile). */
const APP = { name: process.env.APP_NAME ?? 'heartbeat-sample', version: process.env.APP_VERSION ?? '1.0.0' };

/** While this file exists the database check fails, as if the database were down (drills, test/prometheus-e2e.spec.ts). */
const DOWN_FILE = process.env.DATABASE_DOWN_FILE;

/** The sample's probes, written the way an application would write them. */
@Injectable()
export class HealthChecks {
  constructor(private readonly store: DatabaseService) {}

  /** Ready when the database answers a query. */
  @ReadinessProbe()
  database() {
    if (DOWN_FILE && existsSync(DOWN_FILE)) throw new Error(`database unreachable (drill: ${DOWN_FILE} exists)`);
    const started = performance.now();
    const row = this.store.db.prepare('SELECT 1 AS ok').get() as { ok: number };
    return ['database', row.ok === 1, { timeMs: Number((performance.now() - started).toFixed(3)) }] as const;
  }

  /** Alive while the event loop turns; no external system is involved. */
  @LivelinessProbe('event-loop')
  async eventLoop() {
    const started = performance.now();
    await new Promise((resolve) => setImmediate(resolve));
    const lagMs = performance.now() - started;
    return { status: lagMs < 500, lagMs: Number(lagMs.toFixed(3)) };
  }

  /** Who is running: the app's name and version. */
  @EnvironProbe()
  app() {
    return [true, { app: APP }] as const;
  }
}
