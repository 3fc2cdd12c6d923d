import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/grpc-client.js';

/** How long the test holds each alert (`for:`): short, for this test only; the shipped rules hold minutes. */
const TEST_FOR = '3s';
const JOB = 'heartbeat-sample';
const PODS = ['sample-0', 'sample-1', 'sample-2'];
const LIMIT_MS = 30_000;

interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
}
interface Series {
  metric: Record<string, string>;
  value: [number, string];
}

/** A child process whose stdout and stderr are kept, for the failure message. */
function start(command: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  return { child, output: () => output };
}

/** Ends a process: SIGTERM, then SIGKILL if it has not exited after 5 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Polls `read` until it returns a value (not undefined); fails with `what` after `limitMs`. */
async function poll<T>(what: string, read: () => Promise<T | undefined>, limitMs = LIMIT_MS): Promise<T> {
  const deadline = Date.now() + limitMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await read();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * The shipped rules and dashboard on a real Prometheus (Debian's `prometheus` package): three sample
 * processes scraped every second, the rules loaded with a short `for:`, the database check broken
 * on one process and then on all three, read back from Prometheus's HTTP API.
 */
describe('the rules and the dashboard on a real Prometheus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heartbeat-prometheus-'));
  const samples: ReturnType<typeof start>[] = [];
  let prometheus: ReturnType<typeof start> | undefined;
  let prometheusUrl = '';
  let kubelet: NodeJS.Timeout | undefined;
  const probeUrls: string[] = [];
  const downFile = (index: number) => join(dir, `database-down-${index}`);

  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${prometheusUrl}/api/v1/${path}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error}`);
    return body.data;
  };
  const query = (expr: string) =>
    api<{ result: Series[] }>(`query?query=${encodeURIComponent(expr)}`).then(({ result }) => result);
  const alerts = () => api<{ alerts: Alert[] }>('alerts').then((data) => data.alerts);

  beforeAll(async () => {
    // The sample as `npm start` builds it, over dist/ (built by npm test's pretest).
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'sample/tsconfig.json'], {
      stdio: 'pipe',
    });
    const targets: { targets: string[]; labels: { pod: string } }[] = [];
    for (const [index, pod] of PODS.entries()) {
      const [port, metricsPort] = [await freePort(), await freePort()];
      samples.push(
        start(process.execPath, ['sample/dist/main.js'], {
          PORT: String(port),
          METRICS_PORT: String(metricsPort),
          HOST: '127.0.0.1',
          DATA_DIR: join(dir, pod),
          DATABASE_DOWN_FILE: downFile(index),
          KUBERNETES_SERVICE_HOST: '',
        }),
      );
      targets.push({ targets: [`127.0.0.1:${metricsPort}`], labels: { pod } });
      probeUrls.push(`http://127.0.0.1:${metricsPort}/.well-known/heartbeat/readiness`);
    }
    execFileSync(process.execPath, [
      'scripts/deploy-rules.mjs',
      '--rules-for',
      TEST_FOR,
      '--out',
      join(dir, 'rules.yml'),
    ]);
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: [join(dir, 'rules.yml')],
      scrape_configs: [{ job_name: JOB, metrics_path: '/metrics', static_configs: targets }],
    };
    writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    prometheus = start('prometheus', [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ]);
    // The kubelet's part: the sample's checks run when a probe asks.
    for (const url of probeUrls) await poll(`the sample at ${url}`, () => fetch(url).then(() => true), 60_000);
    kubelet = setInterval(() => {
      for (const url of probeUrls) fetch(url).catch(() => undefined);
    }, 300);
    await poll('three samples passing, scraped', async () => {
      const passing = await query(`heartbeat_check_status{job="${JOB}",check="database"} == 1`);
      return passing.length === 3 ? passing : undefined;
    });
  }, 120_000);

  afterAll(async () => {
    clearInterval(kubelet);
    await Promise.all([prometheus, ...samples].map((process) => process && stop(process.child)));
    rmSync(dir, { recursive: true, force: true });
  });

  const active = async (name: string) =>
    (await alerts()).filter(({ labels, state }) => labels.alertname === name && state !== 'inactive');
  /**
   * Waits for the alert `name` whose description contains `text` (annotations are templated again on
   * each evaluation: the outage may first be seen while two of the three pods fail).
   */
  const alertWith = async (name: string, text: string) => {
    let seen: Alert[] = [];
    try {
      return await poll(name, async () => {
        seen = await active(name);
        return seen.find(({ annotations }) => annotations.description.includes(text));
      });
    } catch (error) {
      throw new Error(`${String(error)}; last seen: ${JSON.stringify(seen)}`, { cause: error });
    }
  };

  it('raises the one-pod alert when one pod fails, then the dependency-outage alert (only) when all do', async () => {
    expect(await active('HeartbeatCheckFailingOnPod')).toEqual([]);
    expect(await active('HeartbeatDependencyOutage')).toEqual([]);

    writeFileSync(downFile(0), '');
    const onePod = await alertWith('HeartbeatCheckFailingOnPod', 'reason class: failure');
    expect(onePod.labels).toEqual({
      alertname: 'HeartbeatCheckFailingOnPod',
      job: JOB,
      pod: 'sample-0',
      instance: expect.any(String),
      probe: 'readiness',
      check: 'database',
      severity: 'warning',
    });
    expect(onePod.annotations.description).toContain('failed on pod sample-0 of job heartbeat-sample');
    expect(await active('HeartbeatCheckFailingOnPod')).toHaveLength(1);
    expect(await active('HeartbeatDependencyOutage')).toEqual([]);

    writeFileSync(downFile(1), '');
    writeFileSync(downFile(2), '');
    const outage = await alertWith('HeartbeatDependencyOutage', '(failing on pods: sample-0, sample-1, sample-2)');
    expect(outage.labels).toEqual({
      alertname: 'HeartbeatDependencyOutage',
      job: JOB,
      probe: 'readiness',
      check: 'database',
      severity: 'critical',
    });
    expect(outage.annotations.description).toContain('reason class: failure');
    // An outage is one alert, not a pod alert per pod: the one-pod alert resolves.
    await poll('the one-pod alert to resolve', async () =>
      (await active('HeartbeatCheckFailingOnPod')).length === 0 ? true : undefined,
    );
    await poll('the outage to fire', async () =>
      (await active('HeartbeatDependencyOutage')).some(({ state }) => state === 'firing') ? true : undefined,
    );
  }, 90_000);

  it('answers every PromQL expression of the dashboard (and its variables) with series', async () => {
    const board = JSON.parse(readFileSync('deploy/grafana/heartbeat-dashboard.json', 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
      templating: { list: { query?: { query: string } }[] };
    };
    const variables = board.templating.list
      .flatMap(({ query }) => (query ? [/^label_values\((.*), \w+\)$/.exec(query.query)?.[1]] : []))
      .filter((selector): selector is string => selector !== undefined);
    expect(variables).toHaveLength(2);
    const exprs = [...board.panels.flatMap(({ targets }) => targets.map(({ expr }) => expr)), ...variables];
    expect(exprs.length).toBeGreaterThanOrEqual(12);
    const substitute = (expr: string) =>
      expr.replaceAll('$job', JOB).replaceAll('$pod', 'sample-.*').replaceAll('$__rate_interval', '15s');
    const empty: string[] = [];
    for (const expr of exprs) {
      const result = await query(substitute(expr));
      if (result.length === 0) empty.push(expr);
    }
    expect(empty).toEqual([]);
  });
});
