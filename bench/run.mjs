#!/usr/bin/env node
// The benchmark: contenders as separate processes, interleaved rounds, loopback only, bounded in time.
//   npm run bench              full run (about 38 minutes on 2 cores, 10 of them the guards)
//   npm run bench -- --smoke   seconds-long run that checks the bench still works; no figure is asserted
//   npm run bench -- --only=saturation   one section (trivial, stampede, background, parallel, environ,
//                              bootstrap, inventory, saturation, grpc, idle), written to bench/results/partial-<name>.md
//   npm run bench -- --only=guards       the two guards alone (their four servers side by side, interleaved)
import autocannon from 'autocannon';
import grpc from '@grpc/grpc-js';
import healthCheck from 'grpc-health-check';
import { fork, spawnSync } from 'node:child_process';
import { saturationSection } from './saturation.mjs';
import { idleSection } from './idle.mjs';
import { mkdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const smoke = process.argv.includes('--smoke');
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
/** Whether this run measures `section`. */
const runs = (section) => !only || only === section;
const DURATION = smoke ? 1 : 5;
const ROUNDS = smoke ? 1 : 5;
const hasTaskset = spawnSync('taskset', ['-V']).status === 0 && cpus().length > 1;

// The load generator runs here on the last core; each server is pinned to core 0.
if (hasTaskset && !process.env.BENCH_PINNED) {
  const result = spawnSync('taskset', ['-c', String(cpus().length - 1), process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_PINNED: '1' },
  });
  process.exit(result.status ?? 1);
}

function startServer(contender, scenario, env = {}, cores = '0') {
  const script = join(here, 'dist', 'server.js');
  const flags = env.BENCH_SETTLE ? ['--expose-gc'] : [];
  const child = hasTaskset
    ? fork(script, [contender, scenario], {
        execPath: 'taskset',
        execArgv: ['-c', cores, process.execPath, ...flags],
        env: { ...process.env, ...env },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
    : fork(script, [contender, scenario], {
        execArgv: flags,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${contender} did not start`)), 30_000);
    child.once('error', reject);
    child.on('message', (message) => {
      if (message.type !== 'ready') return;
      clearTimeout(timer);
      const url = `http://127.0.0.1:${message.port}${message.path}`;
      resolve({
        url,
        bareUrl: message.bare ? `http://127.0.0.1:${message.port}${message.bare}` : null,
        appPort: message.port,
        managementPort: message.management,
        grpcAddress: message.grpcPort ? `127.0.0.1:${message.grpcPort}` : null,
        stats: () =>
          new Promise((res) => {
            child.once('message', res);
            child.send({ type: 'stats' });
          }),
        stop: () =>
          new Promise((res) => {
            child.once('exit', res);
            child.disconnect();
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      });
    });
  });
}

function load(url, options) {
  return autocannon({ url, duration: DURATION, ...options });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

// ---- 1. Throughput and latency of the trivial probe against the bare routes
const CONTENDERS = [
  ['http-bare', 'bare node:http', 'http-bare'],
  ['nest-bare-express', 'bare Nest route, Express', 'nest-bare-express'],
  ['heartbeat-express', 'heartbeat readiness, Express', 'nest-bare-express'],
  ['terminus-express', '@nestjs/terminus, Express', 'nest-bare-express'],
  ['nest-bare-fastify', 'bare Nest route, Fastify', 'nest-bare-fastify'],
  ['heartbeat-fastify', 'heartbeat readiness, Fastify', 'nest-bare-fastify'],
  ['heartbeat-metrics-fastify', 'heartbeat readiness with Prometheus metrics, Fastify', 'nest-bare-fastify'],
  ['terminus-fastify', '@nestjs/terminus, Fastify', 'nest-bare-fastify'],
  ['heartbeat-port-express', 'heartbeat management port', 'http-bare'],
];

/**
 * Waits until the one-time library inventory, which starts at bootstrap, has finished: its file
 * reads would otherwise land in the measured seconds and count as the probe's CPU.
 */
async function inventoryDone(url) {
  const environ = url.replace(/readiness$/, 'environ');
  for (let tries = 0; tries < 600; tries++) {
    const body = await fetch(environ).then(
      (res) => res.json(),
      () => null,
    );
    if (body?.inventory?.complete !== false) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Loads a started server (its `url`, or another route of it) with `options` and reads what it spent
 * meanwhile: the load's result, the server's stats, and the CPU time it spent per answered request
 * (steadier than req/s on a shared machine).
 */
async function measured(server, options, url = server.url) {
  await server.stats();
  const result = await load(url, options);
  const stats = await server.stats();
  return { result, stats, cpuPerRequest: stats.cpuMicros / Math.max(1, result.requests.total) };
}

async function measure(contender, scenario, options, env) {
  const server = await startServer(contender, scenario, env);
  try {
    if (contender.startsWith('heartbeat')) await inventoryDone(server.url);
    await load(server.url, { ...options, duration: 1 }); // warm-up
    const { result, stats, cpuPerRequest } = await measured(server, options);
    return {
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors + result.non2xx,
      calls: stats.calls,
      rss: stats.rss,
      cpuPerRequest,
    };
  } finally {
    await server.stop();
  }
}

async function throughput(scenario, contenders, env) {
  const rows = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const connections of [10, 50]) {
      const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
      const results = {};
      for (const [id] of order) results[id] = await measure(id, scenario, { connections }, env);
      for (const [id, , baseline] of contenders) {
        const key = `${id}@${connections}`;
        rows[key] ??= [];
        rows[key].push({
          ...results[id],
          ratio: results[id].rps / results[baseline].rps,
          cpuRatio: results[baseline].cpuPerRequest / results[id].cpuPerRequest,
        });
      }
    }
  }
  return rows;
}

function summarise(samples) {
  return {
    rps: median(samples.map((s) => s.rps)),
    p50: median(samples.map((s) => s.p50)),
    p99: median(samples.map((s) => s.p99)),
    ratio: median(samples.map((s) => s.ratio)),
    cpuPerRequest: median(samples.map((s) => s.cpuPerRequest)),
    cpuRatio: median(samples.map((s) => s.cpuRatio)),
    errors: samples.reduce((sum, s) => sum + s.errors, 0),
    rss: median(samples.map((s) => s.rss)),
    calls: median(samples.map((s) => s.calls)),
  };
}

const lines = [];
const out = (line = '') => {
  lines.push(line);
  console.log(line);
};

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${hasTaskset ? 'server on core 0, load on the last core (taskset)' : 'no taskset'}`;
out(
  `### Benchmark (${smoke ? 'smoke run: figures are not meaningful' : `${ROUNDS} interleaved rounds of ${DURATION} s`})`,
);
out();
out(
  `Machine: ${machine}. Command: \`npm run bench${smoke ? ' -- --smoke' : ''}\`. Date: ${new Date().toISOString().slice(0, 10)}.`,
);
out();

/**
 * The guards (issue 26): a probe's server CPU per request against the bare route beside it. A kubelet
 * probes every few seconds: a probe must stay cheap next to the route the app serves anyway, not win a
 * race, so clearer code is chosen wherever the guard still holds. A target is a contender (its probe
 * route) or `<contender>:bare` (the bare Nest route of that same app). What a request costs also
 * depends on a state of the process that no route chooses (`process.nextTick`'s, docs/benchmarks.md,
 * Guards): the Fastify guard reads two routes of one app, which share it, and every server is put in
 * the same state before it is measured (BENCH_SETTLE). The rows without a limit are for information.
 */
const GUARDS = [
  [
    'heartbeat-beside-fastify',
    'heartbeat-beside-fastify:bare',
    1.25,
    'readiness on the app port (Fastify) ÷ the bare Nest route of the same app',
  ],
  ['heartbeat-port-express', 'http-bare', 1.5, 'readiness on the management port ÷ bare node:http'],
  ['heartbeat-beside-fastify', 'nest-bare-fastify', null, 'for information: readiness (Fastify) ÷ a bare Nest app'],
  [
    'heartbeat-beside-fastify:bare',
    'nest-bare-fastify',
    null,
    "for information: the heartbeat app's bare route ÷ a bare Nest app's (what the module adds to every route)",
  ],
];

if (runs('trivial')) {
  const contenders = smoke ? CONTENDERS.filter(([id]) => !id.includes('fastify')) : CONTENDERS;
  const trivial = await throughput('trivial', contenders);
  out('#### Readiness with three trivial checks');
  out();
  out(
    'Medians over the rounds. "ratio" is req/s ÷ the bare route of the same adapter in the same round; "CPU ratio" is the',
  );
  out(
    "bare route's server CPU time per request ÷ this contender's (both: higher is better, 1.00x = as cheap as the bare route).",
  );
  out();
  out('| contender | conns | req/s | ratio | CPU µs/req | CPU ratio | p50 ms | p99 ms | RSS after MiB | errors |');
  out('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const connections of [10, 50]) {
    for (const [id, label, baseline] of CONTENDERS) {
      const samples = trivial[`${id}@${connections}`];
      if (!samples) continue;
      const s = summarise(samples);
      const of = baseline === 'http-bare' && id !== 'http-bare' ? ' (of node:http)' : '';
      out(
        `| ${label} | ${connections} | ${fmt(s.rps)} | ${fmt(s.ratio, 2)}x${of} | ${fmt(s.cpuPerRequest, 1)} | ${fmt(s.cpuRatio, 2)}x${of} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.rss / 2 ** 20, 1)} | ${s.errors} |`,
      );
    }
  }
  out();
}

/**
 * One round of the guards: their servers run side by side and are measured in turn, in short windows
 * whose order reverses every other pass, so that a probe and its bare route see the same minutes of a
 * shared machine (measured minutes apart, the bare Nest route alone moved between 22 and 33 µs here).
 * Returns, per number of connections and per guard, the median over the passes of the probe's CPU per
 * request ÷ its bare route's in the same pass.
 */
async function guardRound(guards) {
  const targets = [...new Set(guards.flatMap(([id, baseline]) => [id, baseline]))];
  const idOf = (target) => target.replace(/:bare$/, '');
  const servers = {};
  try {
    for (const id of new Set(targets.map(idOf))) {
      servers[id] = await startServer(id, 'trivial', { BENCH_SETTLE: '1' });
      if (id.startsWith('heartbeat')) await inventoryDone(servers[id].url);
    }
    /** Each target's server and the URL it is loaded on. */
    const routes = Object.fromEntries(
      targets.map((target) => {
        const server = servers[idOf(target)];
        const url = target.endsWith(':bare') ? server.bareUrl : server.url;
        if (!url) throw new Error(`guard target ${target}: that contender serves no bare route`);
        return [target, { server, url }];
      }),
    );
    for (const { url } of Object.values(routes)) await load(url, { connections: 10, duration: GUARD_WARM_UP }); // warm-up
    const ratios = {};
    for (const connections of [10, 50]) {
      const costs = Object.fromEntries(targets.map((target) => [target, []]));
      for (let pass = 0; pass < GUARD_PASSES; pass++) {
        for (const target of pass % 2 ? [...targets].reverse() : targets) {
          const { server, url } = routes[target];
          const { cpuPerRequest } = await measured(server, { connections, duration: GUARD_WINDOW }, url);
          costs[target].push(cpuPerRequest);
        }
      }
      ratios[connections] = guards.map(([id, baseline]) =>
        median(costs[id].map((cost, pass) => cost / costs[baseline][pass])),
      );
    }
    return ratios;
  } finally {
    for (const server of Object.values(servers)) await server.stop();
  }
}

/** Seconds of load before a round's windows, and of each window; passes per round and number of connections. */
const GUARD_WARM_UP = smoke ? 1 : 3;
const GUARD_WINDOW = smoke ? 1 : 2;
const GUARD_PASSES = smoke ? 1 : 4;

if (runs('guards')) {
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) rounds.push(await guardRound(GUARDS));
  out('#### Guards: server CPU per request, probe ÷ its bare route (servers side by side, interleaved windows)');
  out();
  out(
    `Each round starts the servers afresh, gives each one full GC at idle (the same process.nextTick state for all), and warms them for ${GUARD_WARM_UP} s; then, for 10 and for 50 connections, it measures them in turn, ${GUARD_PASSES} windows of ${GUARD_WINDOW} s each. "cost" is the median over the ${ROUNDS} rounds of the round's median ratio; "rounds" lists each round's.`,
  );
  out();
  out('| guard | conns | cost | rounds | limit | held |');
  out('| --- | ---: | ---: | --- | ---: | --- |');
  for (const connections of [10, 50]) {
    GUARDS.forEach(([, , limit, label], index) => {
      const ratios = rounds.map((round) => round[connections][index]);
      const cost = median(ratios);
      const held = limit === null ? '' : cost <= limit ? 'yes' : '**no**';
      out(
        `| ${label} | ${connections} | ${fmt(cost, 2)}x | ${ratios.map((ratio) => fmt(ratio, 2)).join(' ')} | ${limit === null ? '' : `${limit}x`} | ${held} |`,
      );
    });
  }
  out();
}

// ---- 2. Stampede: one 200 ms check, 50 connections; how often did the handler run?
if (runs('stampede')) {
  out(`#### Stampede: one check of 200 ms, 50 connections for ${DURATION} s`);
  out();
  out('| contender | handler runs | runs per 200 ms window | requests | req/s | p99 ms |');
  out('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const id of ['heartbeat-express', 'terminus-express']) {
    const r = await measure(id, 'stampede', { connections: 50 });
    out(
      `| ${id} | ${r.calls} | ${fmt(r.calls / ((DURATION * 1000) / 200), 2)} | ${fmt(r.rps * DURATION)} | ${fmt(r.rps)} | ${fmt(r.p99)} |`,
    );
  }
  out();
}

// ---- 2b. Background: one check of 300 ms run per request or in the background (intervalMs 1000)
if (runs('background')) {
  const contenders = [
    ['nest-bare-express', 'bare Nest route, Express'],
    ['heartbeat-express', 'heartbeat readiness, check run per request'],
    ['heartbeat-background-express', 'heartbeat readiness, check in the background (intervalMs 1000)'],
  ];
  const samples = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [id] of contenders.map((_, i) => contenders[(i + round) % contenders.length])) {
      (samples[id] ??= []).push(await measure(id, 'slow', { connections: 50 }));
    }
  }
  out(`#### Background: one check of 300 ms, 50 connections for ${DURATION} s`);
  out();
  out(
    `Medians over ${ROUNDS} interleaved round(s). Handler calls per minute: calls in the measured ${DURATION} s × ${60 / DURATION}.`,
  );
  out();
  out('| contender | req/s | p50 ms | p99 ms | CPU µs/req | handler calls per minute |');
  out('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const [id, label] of contenders) {
    const s = summarise(samples[id]);
    const calls = id === 'nest-bare-express' ? '' : fmt((s.calls * 60) / DURATION);
    out(`| ${label} | ${fmt(s.rps)} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.cpuPerRequest, 1)} | ${calls} |`);
  }
  out();
}

// ---- 2c. gRPC Check against HTTP readiness on the management port, in one server process
if (runs('grpc')) {
  const Health = grpc.makeClientConstructor(healthCheck.service, 'grpc.health.v1.Health');
  /** `concurrency` Check calls in flight on one channel for `seconds`; the calls answered SERVING and the others. */
  const grpcLoad = async (address, concurrency, seconds) => {
    const client = new Health(address, grpc.credentials.createInsecure());
    const until = performance.now() + seconds * 1000;
    let calls = 0;
    let errors = 0;
    const worker = async () => {
      while (performance.now() < until) {
        const status = await new Promise((resolve) =>
          client.check({ service: 'readiness' }, { deadline: Date.now() + 5000 }, (error, reply) =>
            resolve(error ? 'error' : reply.status),
          ),
        );
        if (status === 'SERVING') calls++;
        else errors++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    client.close();
    return { calls, errors };
  };
  const samples = { http: [], grpc: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const server = await startServer('heartbeat-grpc-express', 'trivial');
    try {
      await load(server.url, { connections: 10, duration: 1 }); // warm-up
      await grpcLoad(server.grpcAddress, 10, 1);
      // Alternating order across rounds, so neither always runs on the warmer process.
      const order = round % 2 ? ['grpc', 'http'] : ['http', 'grpc'];
      for (const kind of order) {
        await server.stats();
        const result =
          kind === 'http'
            ? await load(server.url, { connections: 10 }).then((r) => ({
                calls: r.requests.total,
                errors: r.errors + r.non2xx,
              }))
            : await grpcLoad(server.grpcAddress, 10, DURATION);
        const stats = await server.stats();
        samples[kind].push({
          ...result,
          rate: result.calls / DURATION,
          cpu: stats.cpuMicros / Math.max(1, result.calls),
        });
      }
    } finally {
      await server.stop();
    }
  }
  out(
    `#### gRPC Check against HTTP readiness on the management port (three trivial checks, 10 in flight, ${DURATION} s)`,
  );
  out();
  out(
    `Medians over ${ROUNDS} round(s), both in the same server process each round. CPU µs/call: the server's CPU time per answered call.`,
  );
  out();
  out('| transport | calls/s | CPU µs/call | errors |');
  out('| --- | ---: | ---: | ---: |');
  for (const [kind, label] of [
    ['http', 'HTTP GET readiness, management port (node:http)'],
    ['grpc', 'gRPC grpc.health.v1.Health/Check "readiness" (grpcPort)'],
  ]) {
    const list = samples[kind];
    const errors = list.reduce((sum, sample) => sum + sample.errors, 0);
    out(
      `| ${label} | ${fmt(median(list.map((x) => x.rate)))} | ${fmt(median(list.map((x) => x.cpu)), 1)} | ${errors} |`,
    );
  }
  out();
}

// ---- 3. Parallel: five checks of 100 ms; latency of one probe at a time
if (runs('parallel')) {
  out('#### Parallel: five checks of 100 ms each, one request at a time (20 requests)');
  out();
  out('| contender | p50 ms | p99 ms | max ms |');
  out('| --- | ---: | ---: | ---: |');
  for (const id of ['heartbeat-express', 'terminus-express']) {
    const server = await startServer(id, 'parallel');
    const result = await autocannon({ url: server.url, connections: 1, amount: 20 });
    await server.stop();
    out(`| ${id} | ${fmt(result.latency.p50)} | ${fmt(result.latency.p99)} | ${fmt(result.latency.max)} |`);
  }
  out();
}

// ---- 4. environ: first request (cold) and throughput (cached) against a bare route serving the same body
if (runs('environ')) {
  const server = await startServer('heartbeat-express', 'environ', { BENCH_COLD: '1' });
  const started = performance.now();
  const response = await fetch(server.url);
  const body = await response.text();
  const coldMs = performance.now() - started;
  await server.stop();
  const dir = mkdtempSync(join(tmpdir(), 'heartbeat-bench-'));
  const bodyFile = join(dir, 'environ.json');
  writeFileSync(bodyFile, body);
  const libraries = Object.keys(JSON.parse(body).libraries).length;
  const environ = await throughput(
    'environ',
    CONTENDERS.filter(([id]) =>
      ['nest-bare-express', 'heartbeat-express', ...(smoke ? [] : ['nest-bare-fastify', 'heartbeat-fastify'])].includes(
        id,
      ),
    ),
    { BENCH_BODY_FILE: bodyFile },
  );
  out(`#### environ (${libraries} libraries, ${(Buffer.byteLength(body) / 1024).toFixed(1)} KiB body)`);
  out();
  out(`First request after start (cold): ${fmt(coldMs, 1)} ms.`);
  out();
  out('| contender | conns | req/s | ratio to a bare route with the same body | CPU ratio | p99 ms |');
  out('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const connections of [10, 50]) {
    for (const id of ['heartbeat-express', 'heartbeat-fastify']) {
      const samples = environ[`${id}@${connections}`];
      if (!samples) continue;
      const s = summarise(samples);
      out(`| ${id} | ${connections} | ${fmt(s.rps)} | ${fmt(s.ratio, 2)}x | ${fmt(s.cpuRatio, 2)}x | ${fmt(s.p99)} |`);
    }
  }
  out();
}

// ---- 5. Bootstrap: 2,000 providers of 10 methods each, with and without the module
if (runs('bootstrap')) {
  const boot = (variant) =>
    new Promise((resolve, reject) => {
      // Free to use every core, as an app's process is (this runner only waits meanwhile): pinned to
      // the runner's core, V8's compiler and GC threads would take turns with the bootstrap itself.
      const child = fork(join(here, 'dist', 'bootstrap.js'), [variant], {
        ...(hasTaskset ? { execPath: 'taskset', execArgv: ['-c', `0-${cpus().length - 1}`, process.execPath] } : {}),
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      child.once('message', (message) => resolve(message));
      child.once('error', reject);
    });
  const runs = { with: [], without: [] };
  for (let round = 0; round < (smoke ? 1 : 15); round++) {
    for (const variant of ['without', 'with']) runs[variant].push(await boot(variant));
  }
  const wall = (variant) => median(runs[variant].map((run) => run.bootMs));
  const cpu = (variant) => median(runs[variant].map((run) => run.cpuMs));
  out('#### Bootstrap: 2,000 providers × 10 methods (20,000 methods, 2,000 of them probes)');
  out();
  out(
    `Medians of ${runs.with.length} interleaved runs of \`NestFactory.createApplicationContext\` + \`init()\`, each in its own process${hasTaskset ? ' on every core' : ''}.`,
  );
  out();
  out('| variant | wall ms | CPU ms |');
  out('| --- | ---: | ---: |');
  out(`| without the module | ${fmt(wall('without'), 1)} | ${fmt(cpu('without'), 1)} |`);
  out(`| with the module | ${fmt(wall('with'), 1)} | ${fmt(cpu('with'), 1)} |`);
  out(
    `| difference (the module's providers, discovery, registration; varies by tens of ms between runs) | ${fmt(wall('with') - wall('without'), 1)} | ${fmt(cpu('with') - cpu('without'), 1)} |`,
  );
  const discovery = runs.with.map((run) => run.discoveryMs);
  out(
    `| discovery itself (the module's explorer over every provider and the registration of what it finds, timed in the process; min ${fmt(Math.min(...discovery), 1)}, max ${fmt(Math.max(...discovery), 1)}) | ${fmt(median(discovery), 1)} | |`,
  );
  out();
}

// ---- 6. The library inventory of a generated tree of 1,000 packages (first computation)
if (runs('inventory')) {
  const { scanLibraries } = await import('../dist/environ/library-inventory.js');
  const root = mkdtempSync(join(tmpdir(), 'heartbeat-inventory-'));
  const write = (dir, manifest) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
  };
  const count = 1000;
  const deps = {};
  for (let i = 0; i < count * 0.8; i++) {
    const name = i % 10 === 0 ? `@scope${i % 7}/pkg${i}` : `pkg${i}`;
    deps[name] = '^1.0.0';
    const dependencies = { [`pkg${(i + 1) % (count * 0.8)}`]: '^1.0.0', [`pkg${(i + 7) % (count * 0.8)}`]: '^1.0.0' };
    write(join(root, 'node_modules', name), { name, version: '1.2.3', dependencies });
    // A fifth of the tree: nested duplicates at another version.
    if (i % 4 === 0)
      write(join(root, 'node_modules', name, 'node_modules', `dup${i}`), { name: `dup${i}`, version: '2.0.0' });
  }
  write(root, { name: 'generated-app', version: '1.0.0', dependencies: deps });
  const times = [];
  let packages = 0;
  for (let round = 0; round < (smoke ? 1 : 5); round++) {
    const started = performance.now();
    const inventory = await scanLibraries(root);
    times.push(performance.now() - started);
    packages = Object.values(inventory.libraries).reduce((sum, library) => sum + (library.versions?.length ?? 1), 0);
  }
  out(`#### Library inventory of a generated tree (${packages} installed packages)`);
  out();
  out(
    `First computation: median ${fmt(median(times), 0)} ms over ${times.length} runs (min ${fmt(Math.min(...times), 0)} ms).`,
  );
  out();
}

// ---- 7. Saturation: probes while the app's route is driven past saturation (issue 19)
if (runs('saturation')) {
  // The server on core 0 (the app's process on one core, the worker thread taking turns with its
  // saturated main thread), then free on every core (a pod given more than one CPU).
  const layouts = hasTaskset ? ['0', `0-${cpus().length - 1}`] : [null];
  await saturationSection({ startServer, out, fmt, smoke, layouts });
}

// ---- 8. Idle: each mode's CPU and RSS while the app receives no request (issue 25)
if (runs('idle')) await idleSection({ out, fmt, smoke, hasTaskset });

if (!smoke) {
  const file = only ? `partial-${only}.md` : 'latest.md';
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', file), lines.join('\n') + '\n');
  console.log(`Written to bench/results/${file}`);
}
