// `thread: true` under a Kubernetes-style CPU limit (CFS bandwidth: a quota per 100 ms period, what
// `resources.limits.cpu` sets): the saturation scenario's Express app in a cgroup of its own, its
// worker port probed as the kubelet probes. Not part of `npm run bench`: it needs root and a
// writable cgroup hierarchy (v1 `cpu` controller or v2). Run after `npm run bench` has built:
//   sudo node bench/cpu-quota.mjs 0.5 1 2      (CPU limits to try; default 0.5 1 2)
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { percentile, probers } from './saturation.mjs';

const PERIOD_US = 100_000;
const DURATION_S = 25;
const v1 = existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us');
const group = v1 ? '/sys/fs/cgroup/cpu/heartbeat-bench' : '/sys/fs/cgroup/heartbeat-bench';

function limit(cpus) {
  if (!existsSync(group)) mkdirSync(group);
  const quota = String(Math.round(cpus * PERIOD_US));
  if (v1) {
    writeFileSync(`${group}/cpu.cfs_period_us`, String(PERIOD_US));
    writeFileSync(`${group}/cpu.cfs_quota_us`, quota);
  } else writeFileSync(`${group}/cpu.max`, `${quota} ${PERIOD_US}`);
}

const throttledMs = () => {
  const stat = readFileSync(`${group}/cpu.stat`, 'utf8');
  const v1Ns = /throttled_time (\d+)/.exec(stat);
  const v2Us = /throttled_usec (\d+)/.exec(stat);
  return v1Ns ? Number(v1Ns[1]) / 1e6 : Number(v2Us?.[1] ?? 0) / 1e3;
};

async function run(cpus) {
  limit(cpus);
  const server = fork(
    fileURLToPath(new URL('dist/server.js', import.meta.url)),
    ['saturation-thread-express', 'saturation'],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  writeFileSync(`${group}/cgroup.procs`, String(server.pid));
  const ready = await new Promise((resolve) => server.on('message', (m) => m.type === 'ready' && resolve(m)));
  const targets = ['liveness', 'readiness'].map((probe) => ({
    port: ready.management,
    path: `/.well-known/heartbeat/${probe}`,
  }));
  const probing = await probers(targets, { warm: true });
  const throttledBefore = throttledMs();
  const load = await autocannon({
    url: `http://127.0.0.1:${ready.port}${ready.path}`,
    connections: 60,
    duration: DURATION_S,
  });
  const throttled = throttledMs() - throttledBefore;
  const results = await probing.stop();
  await new Promise((resolve) => {
    server.once('exit', resolve);
    server.disconnect();
    setTimeout(() => server.kill('SIGKILL'), 5000).unref();
  });
  return ['liveness', 'readiness'].map((probe, i) => {
    const ms = results[i].map((result) => result.ms);
    const at = (p) => percentile(ms, p).toFixed(1);
    const ok = results[i].filter((result) => result.ok).length;
    const over = ms.filter((value) => value > 1000).length;
    return `| ${cpus} | ${Math.round(load.requests.average)} | ${(throttled / 1000).toFixed(1)} | ${probe} | ${ms.length} | ${at(50)} | ${at(99)} | ${Math.max(...ms).toFixed(1)} | ${over} | ${ok}/${ms.length} |`;
  });
}

const limits = process.argv
  .slice(2)
  .map(Number)
  .filter((value) => value > 0);
console.log(
  `Worker port (\`thread: true\`), Express app of the saturation scenario, 60 connections for ${DURATION_S} s, in a cgroup limited to the CPUs shown (${v1 ? 'cgroup v1' : 'cgroup v2'}, period 100 ms).`,
);
console.log();
console.log('| CPU limit | route req/s | throttled s | probe | probes | p50 ms | p99 ms | max ms | over 1 s | 2xx |');
console.log('| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
try {
  for (const cpus of limits.length ? limits : [0.5, 1, 2]) for (const row of await run(cpus)) console.log(row);
} finally {
  rmdirSync(group);
}
