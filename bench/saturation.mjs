// The saturation scenario of the benchmark (issue 19): an app whose route burns 20 ms of CPU per
// request, driven past saturation by 60 connections, probed as the kubelet probes: every 250 ms, one
// request at a time, no keep-alive, 1 s timeout; on the app's route, on the main-thread management
// port (saturation-main) and on the worker thread's port (saturation-thread, `thread: true`).
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { fileURLToPath } from 'node:url';

const PERIOD_MS = 250;
const TIMEOUT_MS = 1000;
const CONNECTIONS = 60;
const BASE = '/.well-known/heartbeat';

/** One probe: its latency (the timeout when it timed out) and whether it answered 2xx in time. */
function probeOnce(port, path) {
  const started = performance.now();
  return new Promise((resolve) => {
    const done = (ok, timedOut = false) => resolve({ ms: performance.now() - started, ok, timedOut });
    const request = httpGet({ host: '127.0.0.1', port, path, agent: false, timeout: TIMEOUT_MS }, (response) => {
      response.resume();
      response.on('end', () => done(response.statusCode >= 200 && response.statusCode < 400));
    });
    request.on('timeout', () => {
      request.destroy();
      done(false, true);
    });
    request.on('error', () => done(false));
  });
}

/** Probes `path` every PERIOD_MS, one at a time, until `stop()` says so. */
function prober(port, path) {
  const results = [];
  let stopped = false;
  const running = (async () => {
    while (!stopped) {
      const result = await probeOnce(port, path);
      results.push(result);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, PERIOD_MS - result.ms)));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await running;
      return results;
    },
  };
}

/**
 * The kubelet's side, in a process of its own (this file, forked with `probe`), as the kubelet is
 * not the process that sends the traffic: probes each of `targets` ({ port, path }) until told to
 * stop, then sends back every target's results. `warm`: three uncounted probes per target first.
 * Resolves once the counted probing has started.
 */
export async function probers(targets, { warm = false } = {}) {
  const child = fork(fileURLToPath(import.meta.url), ['probe'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((resolve) => {
    child.once('message', resolve);
    child.send({ type: 'start', targets, warm });
  });
  return {
    stop: () =>
      new Promise((resolve) => {
        child.once('message', (message) => {
          child.disconnect();
          resolve(message.results);
        });
        child.send({ type: 'stop' });
      }),
  };
}

if (process.argv[2] === 'probe') {
  let running = [];
  process.on('message', async (message) => {
    if (message.type !== 'start') {
      process.send({ results: await Promise.all(running.map((one) => one.stop())) });
      return;
    }
    // The kubelet has probed since the pod started: a few probes per target first, not counted, so
    // that the first one measured pays neither for this fresh process's cold HTTP client (10-25 ms,
    // which the bench once counted as the worker's p99) nor for the server's cold paths.
    if (message.warm)
      for (const { port, path } of message.targets) for (let i = 0; i < 3; i++) await probeOnce(port, path);
    running = message.targets.map(({ port, path }) => prober(port, path));
    process.send({ type: 'started' });
  });
}

export const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

/** Runs the scenario on both adapters and writes its tables with `out`. */
export async function saturationSection({ startServer, out, fmt, smoke, layouts }) {
  // The main-thread targets time out on every probe within seconds; the worker's port is loaded for
  // longer, so that its p99 is over some 240 probes per probe kind rather than the slowest of 80.
  const durations = smoke ? { main: 2, thread: 2 } : { main: 20, thread: 60 };
  const afterMs = smoke ? 1000 : 4000;
  const adapters = smoke ? ['express'] : ['express', 'fastify'];
  const rows = [];
  const memory = [];
  for (const cores of layouts) {
    for (const adapter of adapters) {
      for (const variant of ['main', 'thread']) {
        const server = await startServer(`saturation-${variant}-${adapter}`, 'saturation', {}, cores ?? undefined);
        const idle = await server.stats();
        if (cores === layouts[0]) memory.push({ adapter, variant, rss: idle.rss });
        const targets =
          variant === 'main'
            ? [
                ['app route', server.appPort],
                ['main-thread management port', server.managementPort],
              ]
            : [['worker thread port (`thread: true`)', server.managementPort]];
        const probes = targets.flatMap(([target, port]) =>
          ['liveness', 'readiness'].map((probe) => ({ target, probe, port, path: `${BASE}/${probe}` })),
        );
        const during = await probers(probes, { warm: true });
        const load = await autocannon({ url: server.url, connections: CONNECTIONS, duration: durations[variant] });
        const results = await during.stop();
        // After the load: does readiness pass again?
        const after = await probers(probes);
        await new Promise((resolve) => setTimeout(resolve, afterMs));
        const afterResults = await after.stop();
        probes.forEach((row, i) => Object.assign(row, { results: results[i], afterResults: afterResults[i] }));
        await server.stop();
        for (const row of probes) rows.push({ adapter, cores, rps: load.requests.average, ...row });
      }
    }
  }
  out(
    `#### Saturation: a route of 20 ms of CPU, ${CONNECTIONS} connections for ${durations.main} s (${durations.thread} s with the worker thread); probes every ${PERIOD_MS} ms, one at a time, ${TIMEOUT_MS} ms timeout`,
  );
  out();
  out(
    'Latency of the probes sent during the load (a timed-out probe counts as 1000 ms); "2xx" counts answers under 1 s with a status below 400, during the load and in the ' +
      `${afterMs / 1000} s after it.`,
  );
  out();
  out(
    '| server on cores | adapter | route req/s | target | probe | probes | p50 ms | p99 ms | max ms | over 1 s | 2xx during | 2xx after |',
  );
  out('| --- | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const { adapter, cores, rps, target, probe, results, afterResults } of rows) {
    const ms = results.map((result) => result.ms);
    const over = results.filter((result) => result.timedOut || result.ms > TIMEOUT_MS).length;
    const ok = results.filter((result) => result.ok).length;
    const okAfter = afterResults.filter((result) => result.ok).length;
    out(
      `| ${cores ?? 'any'} | ${adapter} | ${fmt(rps)} | ${target} | ${probe} | ${results.length} | ${fmt(percentile(ms, 50), 1)} | ${fmt(percentile(ms, 99), 1)} | ${fmt(Math.max(...ms), 1)} | ${over} | ${ok}/${results.length} | ${okAfter}/${afterResults.length} |`,
    );
  }
  out();
  out('Memory: RSS of the idle app before the load, management port on the main thread and in a worker thread.');
  out();
  out('| adapter | main thread MiB | worker thread MiB | added by the worker MiB |');
  out('| --- | ---: | ---: | ---: |');
  for (const adapter of adapters) {
    const [main, thread] = ['main', 'thread'].map(
      (variant) => memory.find((m) => m.adapter === adapter && m.variant === variant).rss / 2 ** 20,
    );
    out(`| ${adapter} | ${fmt(main, 1)} | ${fmt(thread, 1)} | ${fmt(thread - main, 1)} |`);
  }
  out();
}
