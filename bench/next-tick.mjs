#!/usr/bin/env node
// What one `process.nextTick` costs in a fresh Node process, after it was idle for 10 ms, and after
// one full garbage collection while it was idle (nothing queued); each measured twice, 2 s apart:
//   node bench/next-tick.mjs [processes, default 3]
// Node's streams and HTTP server call nextTick several times per request, so this state moves the
// CPU per request of every route of a process alike (docs/benchmarks.md, Guards). Each figure comes
// from a fresh process of its own. The callback's own run is included in each figure.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BURSTS = 1000;
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
  /** User CPU per tick, in ns, over `BURSTS` bursts. */
  const measure = async () => {
    const before = process.cpuUsage();
    for (let i = 0; i < BURSTS; i++) await burst(PER_BURST);
    return (process.cpuUsage(before).user * 1000) / (BURSTS * PER_BURST);
  };
  const idle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  for (let i = 0; i < 5; i++) await burst(10);
  const mode = process.argv[3];
  if (mode !== 'fresh') await idle(10); // nothing queued
  if (mode === 'gc') globalThis.gc();
  const first = await measure();
  await idle(2000);
  const second = await measure();
  process.stdout.write(`${first.toFixed(0)}/${second.toFixed(0)}`);
  process.exit(0);
}

const processes = Number(process.argv[2] ?? 3);
const script = fileURLToPath(import.meta.url);
const run = (mode) => {
  const { stdout, status } = spawnSync(process.execPath, ['--expose-gc', script, '--child', mode], {
    encoding: 'utf8',
  });
  if (status !== 0) throw new Error(`the ${mode} process failed`);
  return stdout;
};
console.log(
  `Node ${process.version}: user CPU per process.nextTick in ns, ${BURSTS} bursts of ${PER_BURST}, then again 2 s later; one process each`,
);
const labels = { fresh: 'fresh', idle: 'idle 10 ms', gc: 'idle 10 ms, one full GC' };
for (const [mode, label] of Object.entries(labels)) {
  const figures = Array.from({ length: processes }, () => run(mode));
  console.log(`${label.padEnd(24)}: ${figures.join(', ')}`);
}
