// The one source of the Grafana dashboard: scripts/deploy-rules.mjs writes it as
// deploy/grafana/heartbeat-dashboard.json and inside a ConfigMap (deploy/kubernetes/), and the
// end-to-end test evaluates every `expr` below against a real Prometheus.
import { FRACTION_PASSING } from './rules.source.mjs';

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
/** The series of the chosen job and pods. */
const POD = 'job="$job", pod=~"$pod"';

const STATUS_MAPPINGS = [
  {
    type: 'value',
    options: { 0: { text: 'failing', color: 'red', index: 0 }, 1: { text: 'passing', color: 'green', index: 1 } },
  },
];

/** One panel: `targets` as [expr, legend] pairs; `at` its grid position [x, y, w, h]. */
function panel(id, type, title, description, at, targets, extra = {}) {
  const [x, y, w, h] = at;
  return {
    id,
    type,
    title,
    description,
    datasource: DATASOURCE,
    gridPos: { x, y, w, h },
    targets: targets.map(([expr, legendFormat], index) => ({
      datasource: DATASOURCE,
      refId: String.fromCharCode(65 + index),
      expr,
      legendFormat,
    })),
    ...extra,
  };
}

const quantile = (q) =>
  `histogram_quantile(${q}, sum by (le, probe, check) (rate(heartbeat_check_duration_seconds_bucket{${POD}}[$__rate_interval])))`;

const PANELS = [
  panel(
    1,
    'state-timeline',
    'Check status per pod',
    'heartbeat_check_status of each check on each pod.',
    [0, 0, 24, 9],
    [[`heartbeat_check_status{${POD}}`, '{{pod}} {{probe}}/{{check}}']],
    {
      fieldConfig: { defaults: { mappings: STATUS_MAPPINGS, color: { mode: 'thresholds' } }, overrides: [] },
      options: { showValue: 'never', mergeValues: true },
    },
  ),
  panel(
    2,
    'state-timeline',
    'Probe status per pod',
    'heartbeat_probe_status: readiness also fails while out of rotation.',
    [0, 9, 24, 6],
    [[`heartbeat_probe_status{${POD}}`, '{{pod}} {{probe}}']],
    {
      fieldConfig: { defaults: { mappings: STATUS_MAPPINGS, color: { mode: 'thresholds' } }, overrides: [] },
      options: { showValue: 'never', mergeValues: true },
    },
  ),
  panel(
    3,
    'timeseries',
    'Fraction of pods passing, per check',
    'Below 0.5: HeartbeatDependencyOutage; between 0.5 and 1: a pod of its own (HeartbeatCheckFailingOnPod).',
    [0, 15, 12, 8],
    [[`${FRACTION_PASSING}{job="$job"}`, '{{probe}}/{{check}}']],
    { fieldConfig: { defaults: { unit: 'percentunit', min: 0, max: 1 }, overrides: [] } },
  ),
  panel(
    4,
    'table',
    'Degraded checks (not passing on every pod)',
    'Checks whose fraction of passing pods is below 1.',
    [12, 15, 12, 8],
    [[`${FRACTION_PASSING}{job="$job"} < 1`, '{{probe}}/{{check}}']],
    { options: { showHeader: true } },
  ),
  panel(
    5,
    'timeseries',
    'Check latency percentiles',
    'p50, p90 and p99 of heartbeat_check_duration_seconds over the chosen pods.',
    [0, 23, 12, 8],
    [
      [quantile(0.5), 'p50 {{probe}}/{{check}}'],
      [quantile(0.9), 'p90 {{probe}}/{{check}}'],
      [quantile(0.99), 'p99 {{probe}}/{{check}}'],
    ],
    { fieldConfig: { defaults: { unit: 's' }, overrides: [] } },
  ),
  panel(
    6,
    'timeseries',
    'Transitions',
    'Changes of status per check and pod (HeartbeatCheckFlapping above 6 an hour).',
    [12, 23, 12, 8],
    [
      [
        `sum by (pod, probe, check, to) (increase(heartbeat_check_transitions_total{${POD}}[$__rate_interval]))`,
        '{{pod}} {{probe}}/{{check}} to {{to}}',
      ],
    ],
  ),
  panel(
    7,
    'timeseries',
    'Results by class',
    'heartbeat_check_runs_total per second, by result: success, failure, timeout.',
    [0, 31, 12, 8],
    [
      [
        `sum by (probe, check, result) (rate(heartbeat_check_runs_total{${POD}}[$__rate_interval]))`,
        '{{probe}}/{{check}} {{result}}',
      ],
    ],
    { fieldConfig: { defaults: { unit: 'ops' }, overrides: [] } },
  ),
  panel(
    8,
    'timeseries',
    'Main-loop lag',
    "heartbeat_main_loop_lag_seconds: the longest delay of each pod's event loop of the last 30-60 s (thread: true keeps probes answering through it).",
    [12, 31, 12, 8],
    [[`heartbeat_main_loop_lag_seconds{${POD}}`, '{{pod}}']],
    { fieldConfig: { defaults: { unit: 's' }, overrides: [] } },
  ),
  panel(
    9,
    'state-timeline',
    'Stale background checks and rotation',
    'heartbeat_check_stale (1: stuck) and heartbeat_in_rotation (0: out).',
    [0, 39, 24, 7],
    [
      [`heartbeat_check_stale{${POD}}`, 'stale {{pod}} {{probe}}/{{check}}'],
      [`heartbeat_in_rotation{${POD}}`, 'in rotation {{pod}}'],
    ],
    { options: { showValue: 'never', mergeValues: true } },
  ),
];

/** The dashboard, as Grafana imports it (and its sidecar loads it from the ConfigMap). */
export function dashboard() {
  return {
    uid: 'nestjs-heartbeat',
    title: 'nestjs-heartbeat fleet',
    description:
      'Checks of every pod of a job: which fail where, since when, how fast they answer. See docs/fleet-alerting.md.',
    tags: ['nestjs-heartbeat', 'kubernetes'],
    timezone: 'browser',
    editable: true,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {} },
        {
          name: 'job',
          label: 'Job',
          type: 'query',
          datasource: DATASOURCE,
          query: { query: 'label_values(heartbeat_in_rotation, job)', refId: 'job' },
          definition: 'label_values(heartbeat_in_rotation, job)',
          refresh: 2,
          sort: 1,
        },
        {
          name: 'pod',
          label: 'Pod',
          type: 'query',
          datasource: DATASOURCE,
          query: { query: 'label_values(heartbeat_in_rotation{job="$job"}, pod)', refId: 'pod' },
          definition: 'label_values(heartbeat_in_rotation{job="$job"}, pod)',
          refresh: 2,
          sort: 1,
          multi: true,
          includeAll: true,
          allValue: '.*',
          current: { text: 'All', value: '$__all' },
        },
      ],
    },
    annotations: { list: [] },
    panels: PANELS,
  };
}
