// The Prometheus scrape after N register/unregister cycles of one check name: series, bytes and the
// median time of a scrape. Run after `npm run build`: node bench/metrics-cycles.mjs [cycles]
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Registry } from 'prom-client';
import { HeartbeatModule, HeartbeatService, ProbeRegistry } from '../dist/index.mjs';

const cycles = Number(process.argv[2] ?? 2000);
const own = new Registry();
const app = await NestFactory.createApplicationContext(
  HeartbeatModule.forRoot({ logger: false, environ: false, metrics: { prometheus: own } }),
  { logger: false },
);
await app.init();
const registry = app.get(ProbeRegistry);
const service = app.get(HeartbeatService);
registry.register('readiness', () => true, { name: 'db' });

async function scrape() {
  const times = [];
  let text = '';
  for (let i = 0; i < 11; i++) {
    const start = performance.now();
    text = await own.metrics();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const series = text.split('\n').filter((line) => line && !line.startsWith('#')).length;
  const labels = [...new Set(text.match(/check="cyc[^"]*"/g) ?? [])];
  return { series, bytes: Buffer.byteLength(text), ms: Number(times[5].toFixed(2)), cycLabels: labels.slice(-2) };
}

/** One cycle; on the last one, the scrape and the report keys while `cyc` is registered. */
async function cycle(last) {
  const off = registry.register('readiness', () => true, { name: 'cyc' });
  const keys = Object.keys((await service.readiness()).checks);
  const during = last ? await scrape() : undefined;
  off();
  return { during, keys };
}

const one = await cycle(true);
for (let i = 2; i < cycles; i++) await cycle(false);
const many = await cycle(true);
const after = await scrape();
console.log(JSON.stringify({ cycles, afterOne: one, afterAll: many, unregistered: after }));
await app.close();
