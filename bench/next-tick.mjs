#!/usr/bin/env node
// What one `process.nextTick` costs in a fresh Node process, and in one that ran a full garbage
// collection while idle (nothing queued), for the rest of that process's life:
//   node bench/next-tick.mjs [processes, default 3]
// Node's streams and HTTP server call nextTick several times per request, so this state moves the
// CPU per request of every route of a process alike (docs/benchmarks.md, Guards). Each measurement
// runs in a fresh process of its own: the state, once taken, is not left.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BURSTS = 2000;
const PER_BURST = 1000;

if (process.argv[2] === '--child') {
  /** Queues `count` ticks and resolves when the last has run. */
  const burst = (count) =>
    new Promise((resolve) => {
      let left = count;
      const done = () => {
        if (--left === 0) resolve();
      };
      for (let i = 0; i < count; i++) process.nextTick(done);
    });
  for (let i = 0; i < 5; i++) await burst(10);
  if (process.argv[3] === 'gc') {
    await new Promise((resolve) => setTimeout(resolve, 10)); // idle: no tick queued
    globalThis.gc();
  }
  const before = process.cpuUsage();
  for (let i = 0; i < BURSTS; i++) await burst(PER_BURST);
  const spent = process.cpuUsage(before);
  process.stdout.write(String((spent.user * 1000) / (BURSTS * PER_BURST)));
  process.exit(0);
}

const processes = Number(process.argv[2] ?? 3);
const script = fileURLToPath(import.meta.url);
const nsPerTick = (mode) => {
  const { stdout, status } = spawnSync(process.execPath, ['--expose-gc', script, '--child', mode], {
    encoding: 'utf8',
  });
  if (status !== 0) throw new Error(`the ${mode} process failed`);
  return Number(stdout);
};
console.log(
  `Node ${process.version}: user CPU per process.nextTick, ${BURSTS} bursts of ${PER_BURST}, one process each`,
);
for (const mode of ['fresh', 'gc']) {
  const figures = Array.from({ length: processes }, () => nsPerTick(mode).toFixed(0));
  console.log(`${mode === 'gc' ? 'after a full GC at idle' : 'fresh process          '}: ${figures.join(', ')} ns`);
}
