// The one source of the Prometheus rules: scripts/deploy-rules.mjs writes them as a plain rules file
// (deploy/prometheus/heartbeat.rules.yml) and as a PrometheusRule (deploy/kubernetes/), and the
// end-to-end test loads them with short `for:` (the `forOverride` argument).

/** Where each alert's runbook is: a section of docs/fleet-alerting.md, anchored by the alert's name. */
export const RUNBOOK_BASE = 'https://github.com/nestjs-heartbeat/nestjs-heartbeat/blob/main/docs/fleet-alerting.md';

/** The labels that name one job's group of pods (namespace is absent outside Kubernetes, which is fine). */
const JOB = 'namespace, job';
/** The fraction of a job's pods on which a check passes (1: all, 0: none). */
export const FRACTION_PASSING = 'job_probe_check:heartbeat_check_status:fraction_passing';
/** How many of a job's pods report a check. */
export const PODS_REPORTING = 'job_probe_check:heartbeat_check_status:pods';

/** Go template text that lists one label of the series a `with … | query` found, comma-separated. */
function list(label) {
  return `{{ range $i, $s := . }}{{ if $i }}, {{ end }}{{ $s.Labels.${label} }}{{ end }}`;
}

/**
 * Go template text that names the reason class of a failing check from its series `selector`
 * (`failure`: the handler failed or threw; `timeout`: it did not answer in time; `stale`: its
 * background loop is stuck), as found in the last 15 minutes, the most frequent first.
 */
function reasonClass(selector, by) {
  const runs = `sum by (result) (increase(heartbeat_check_runs_total{${selector},result!=\\"success\\"}[15m])) > 0`;
  const stale = `label_replace(max(heartbeat_check_stale{${selector}}) == 1, \\"result\\", \\"stale\\", \\"\\", \\"\\")`;
  return `reason class: {{ with printf "sort_desc((${runs}) or (${stale}))" ${by} ${by} | query }}${list('result')}{{ else }}unknown{{ end }}`;
}

const podSelector = 'job=%q,pod=%q,probe=%q,check=%q';
const podArgs = '$labels.job $labels.pod $labels.probe $labels.check';
const jobSelector = 'job=%q,probe=%q,check=%q';
const jobArgs = '$labels.job $labels.probe $labels.check';

/** The alerts, in the order of the docs' runbooks. `for` is each alert's production hold time. */
const ALERTS = [
  {
    alert: 'HeartbeatDependencyOutage',
    expr: `${FRACTION_PASSING} < 0.5`,
    for: '5m',
    severity: 'critical',
    summary: '{{ $labels.probe }} check {{ $labels.check }} fails on most pods of {{ $labels.job }}',
    description: [
      'The {{ $labels.probe }} check {{ $labels.check }} passes on only {{ $value | humanizePercentage }} of the pods of job {{ $labels.job }}',
      `(failing on pods: {{ with printf "heartbeat_check_status{${jobSelector}} == 0" ${jobArgs} | query | sortByLabel "pod" }}${list('pod')}{{ end }}),`,
      `${reasonClass(jobSelector, jobArgs)}.`,
      'A dependency they share is likely down: page its owner; restarting the pods will not help.',
    ],
  },
  {
    alert: 'HeartbeatCheckFailingOnPod',
    expr: `heartbeat_check_status == 0 and on (${JOB}, probe, check) ${FRACTION_PASSING} >= 0.5`,
    for: '5m',
    severity: 'warning',
    summary: '{{ $labels.probe }} check {{ $labels.check }} fails on pod {{ $labels.pod }} only',
    description: [
      'The {{ $labels.probe }} check {{ $labels.check }} has failed on pod {{ $labels.pod }} of job {{ $labels.job }}',
      `while it passes on most other pods, ${reasonClass(podSelector, podArgs)}.`,
      'The pod itself is at fault: look at its log, then restart it.',
    ],
  },
  {
    alert: 'HeartbeatPodNotReady',
    expr: 'heartbeat_probe_status{probe="readiness"} == 0',
    for: '15m',
    severity: 'warning',
    summary: 'pod {{ $labels.pod }} of {{ $labels.job }} has been out of readiness for longer than a rollout takes',
    description: [
      'Pod {{ $labels.pod }} of job {{ $labels.job }} has failed readiness for 15 minutes;',
      `{{ with printf "heartbeat_check_status{job=%q,pod=%q,probe=\\"readiness\\"} == 0" $labels.job $labels.pod | query | sortByLabel "check" }}failing checks: ${list('check')} (reason class: check failure){{ else }}no check fails (reason class: out of rotation or shutting down){{ end }}.`,
      'It receives no traffic; a rollout waiting on it is stuck.',
    ],
  },
  {
    alert: 'HeartbeatCheckFlapping',
    expr: 'sum without (to) (increase(heartbeat_check_transitions_total[1h])) > 6',
    for: '0m',
    severity: 'warning',
    summary: '{{ $labels.probe }} check {{ $labels.check }} of pod {{ $labels.pod }} is flapping',
    description: [
      'The {{ $labels.probe }} check {{ $labels.check }} of pod {{ $labels.pod }} (job {{ $labels.job }})',
      `changed status {{ $value | humanize }} times in the last hour, ${reasonClass(podSelector, podArgs)}.`,
      'Its pod goes in and out of rotation: look for a threshold too tight or a dependency at its limit.',
    ],
  },
  {
    alert: 'HeartbeatCheckStale',
    expr: 'heartbeat_check_stale == 1',
    for: '5m',
    severity: 'warning',
    summary: 'background check {{ $labels.check }} of pod {{ $labels.pod }} is not refreshed',
    description: [
      'The {{ $labels.probe }} check {{ $labels.check }} of pod {{ $labels.pod }} (job {{ $labels.job }}) fails because its',
      'background result is older than its staleAfterMs, reason class: stale (the call behind it has not',
      'settled, or the loop that runs it is stuck).',
    ],
  },
  {
    alert: 'HeartbeatMainLoopStalled',
    expr: 'heartbeat_main_loop_lag_seconds > 2',
    for: '2m',
    severity: 'warning',
    summary: 'the main loop of pod {{ $labels.pod }} keeps stalling',
    description: [
      'The event loop of pod {{ $labels.pod }} (job {{ $labels.job }}) was blocked for {{ $value | humanizeDuration }}',
      'at a time, again and again for 2 minutes; every check of the pod (check: all) and every request waits',
      'behind it, reason class: main loop. With thread: true its probes still answer from the worker thread.',
    ],
  },
  {
    alert: 'HeartbeatMetricsAbsent',
    expr: 'up == 1 and on (job, instance) count by (job, instance) (present_over_time(heartbeat_in_rotation[1h])) unless on (job, instance) heartbeat_in_rotation',
    for: '10m',
    severity: 'warning',
    summary: 'target {{ $labels.instance }} ({{ $labels.pod }}) no longer exposes the heartbeat metrics',
    description: [
      'Target {{ $labels.instance }} (pod {{ $labels.pod }}, job {{ $labels.job }}) is scraped but has had no heartbeat_*',
      'series for 10 minutes although it had them in the last hour; check: none (the whole module), reason class:',
      'metrics missing. No other heartbeat alert can fire for it.',
    ],
  },
];

/** The rule groups, with every `for:` replaced by `forOverride` when given (the end-to-end test's short one). */
export function ruleGroups({ forOverride } = {}) {
  const recording = {
    name: 'heartbeat-recording',
    rules: [
      { record: FRACTION_PASSING, expr: `avg by (${JOB}, probe, check) (heartbeat_check_status)` },
      { record: PODS_REPORTING, expr: `count by (${JOB}, probe, check) (heartbeat_check_status)` },
    ],
  };
  const alerts = {
    name: 'heartbeat-alerts',
    rules: ALERTS.map(({ alert, expr, severity, summary, description, ...rule }) => ({
      alert,
      expr,
      for: forOverride ?? rule.for,
      labels: { severity },
      annotations: {
        summary,
        description: description.join(' '),
        runbook_url: `${RUNBOOK_BASE}#${alert.toLowerCase()}`,
      },
    })),
  };
  return [recording, alerts];
}

/** The alert names, for the tests and the docs' check. */
export const ALERT_NAMES = ALERTS.map(({ alert }) => alert);
