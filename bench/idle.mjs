// The idle section of the benchmark (issue 25): an app that receives no request, in each mode of
// test/fixtures/idle-app.mjs (the app test/idle.spec.ts holds under 1 % of a core). Once it has
// settled, its CPU time over a window, as a share of one core, and its RSS. Every mode runs at once,
// each in its own process: each reports its own CPU time (every thread), so none counts another's,
// and a loaded machine stretches the window without adding to what a process uses.
import { fork } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('../test/fixtures/idle-app.mjs', import.meta.url));

/** The modes, as the fixture names them, with their labels. */
const MODES = [
  ['bare', 'the same app without the module'],
  ['plain', 'app port (defaults)'],
  ['port', 'management port (`port: 0`)'],
  ['background', 'background checks (`intervalMs: 1000`)'],
  ['thread', 'worker thread (`port: 0, thread: true`)'],
  ['grpc', 'gRPC port (`grpcPort: 0`)'],
  ['prometheus', 'Prometheus metrics (a `Registry`)'],
  ['openTelemetry', 'OpenTelemetry metrics (a `Meter`)'],
  ['all', 'all together (thread, `intervalMs: 1000`, gRPC port, both metrics)'],
];

/** Starts one mode's app, free to use every core (the runner itself is pinned to the last one). */
function start(mode, hasTaskset) {
  const child = fork(FIXTURE, [], {
    ...(hasTaskset ? { execPath: 'taskset', execArgv: ['-c', `0-${cpus().length - 1}`, process.execPath] } : {}),
    env: { ...process.env, IDLE_MODE: mode },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const next = (type) =>
    new Promise((resolve, reject) => {
      const onExit = (code) => reject(new Error(`the idle app (${mode}) exited with code ${code}`));
      child.once('exit', onExit);
      const listener = (message) => {
        if (message.type !== type) return;
        child.off('message', listener);
        child.off('exit', onExit);
        resolve(message);
      };
      child.on('message', listener);
    });
  return {
    ready: next('ready'),
    sample() {
      const answer = next('sample');
      child.send({ type: 'sample' });
      return answer;
    },
    stop() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        child.once('exit', resolve);
        child.disconnect();
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      });
    },
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function idleSection({ out, fmt, smoke, hasTaskset }) {
  // Past the bootstrap and V8's memory reducer (one collection per isolate, about 8 s after it starts).
  const settleMs = smoke ? 500 : 9_000;
  const windowMs = smoke ? 1_000 : 30_000;
  const apps = MODES.map(([mode]) => start(mode, hasTaskset));
  try {
    await Promise.all(apps.map((app) => app.ready));
    await sleep(settleMs);
    const before = await Promise.all(apps.map((app) => app.sample()));
    await sleep(windowMs);
    const after = await Promise.all(apps.map((app) => app.sample()));
    out(`#### Idle: an app that receives no request, ${windowMs / 1000} s after ${settleMs / 1000} s of settling`);
    out();
    out(
      'Each mode in its own process, all at once: an Express app with one readiness check, one liveliness check and one environ',
    );
    out(
      "contributor, each trivial (`test/fixtures/idle-app.mjs`). CPU: the process's CPU time (every thread) over the window, as a",
    );
    out('share of one core. RSS at the end of the window.');
    out();
    out('| mode | CPU, % of a core | CPU ms in the window | RSS MiB |');
    out('| --- | ---: | ---: | ---: |');
    MODES.forEach(([, label], index) => {
      const cpuMs = (after[index].cpuMicros - before[index].cpuMicros) / 1000;
      const share = cpuMs / (after[index].atMs - before[index].atMs);
      out(`| ${label} | ${fmt(share * 100, 2)} | ${fmt(cpuMs, 1)} | ${fmt(after[index].rss / 2 ** 20, 1)} |`);
    });
    out();
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
  }
}
